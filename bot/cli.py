"""The `pilothouse` command."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from commands.errors import PilothouseError

if TYPE_CHECKING:
    from bot.settings import Settings


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


def load_settings(env_file: str | None, prog: str) -> Settings | None:
    """The settings from the environment (and `env_file`, which the environment overrides);
    None, with the reason on stderr, when they cannot be used."""
    from pydantic import ValidationError

    from bot.settings import Settings

    if env_file and not os.path.isfile(env_file):
        print(f"{prog}: --env-file {env_file}: no such file", file=sys.stderr)
        return None
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as e:
        problems = "; ".join(
            f"PILOTHOUSE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()
        )
        print(f"{prog}: invalid settings: {problems}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["digest"]:  # `pilothouse digest --print`: a subcommand of its own
        from bot.digest import cli

        return cli.main(argv[1:])
    args = parser().parse_args(argv)
    settings = load_settings(args.env_file, "pilothouse")
    if settings is None:
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
