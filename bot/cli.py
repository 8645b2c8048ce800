"""The `pilothouse` command."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from commands.errors import PilothouseError


def _version() -> str:
    try:
        return version("pilothouse")
    except PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pilothouse",
        description="ChatOps for Kubernetes. With nothing configured: a local chat shell "
        "against a simulated demo cluster. Set PILOTHOUSE_KUBECONFIG (or KUBECONFIG) for real "
        "clusters, PILOTHOUSE_REDIS_URL for shared state, and PILOTHOUSE_SLACK_BOT_TOKEN with "
        "PILOTHOUSE_SLACK_APP_TOKEN (Socket Mode) or PILOTHOUSE_SLACK_SIGNING_SECRET (HTTP) for Slack.",
        epilog="pilothouse digest --print [--cluster C] [-n NS]: a cluster digest on stdout (pilothouse digest -h).",
    )
    p.add_argument(
        "--user", default=os.environ.get("PILOTHOUSE_USER") or _login(), help="who is speaking (default: your login)"
    )
    p.add_argument("--channel", default="shell", help="where you are speaking (default: shell)")
    p.add_argument("--shell", action="store_true", help="the local shell even when Slack is configured")
    p.add_argument("--env-file", metavar="PATH", help="read PILOTHOUSE_* settings from this file too")
    p.add_argument("--version", action="version", version=f"pilothouse {_version()}")
    return p


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "you"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["digest"]:  # `pilothouse digest --print`: a subcommand of its own
        from bot.digest import cli

        return cli.main(argv[1:])
    args = parser().parse_args(argv)
    from pydantic import ValidationError

    from bot.settings import Settings

    if args.env_file and not os.path.isfile(args.env_file):
        print(f"pilothouse: --env-file {args.env_file}: no such file", file=sys.stderr)
        return 2
    try:
        settings = Settings(_env_file=args.env_file)  # type: ignore[call-arg]  # env vars win over the file
    except ValidationError as e:
        problems = "; ".join(
            f"PILOTHOUSE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in e.errors()
        )
        print(f"pilothouse: invalid settings: {problems}", file=sys.stderr)
        return 2
    from bot import logs

    logs.configure(settings.log_level, json_lines=settings.slack and not args.shell)
    from bot import shell, wiring

    try:
        app = wiring.build(settings, user=args.user)
        if settings.slack and not args.shell:
            from bot.slack import run

            return run.run(app)
    except PilothouseError as e:
        print(f"pilothouse: {e}", file=sys.stderr)
        return 2
    try:
        return shell.run(app.pipeline, user=args.user, channel=args.channel)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
