"""The `pilothouse` command."""

from __future__ import annotations

import argparse
import getpass
import logging
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
        "clusters and PILOTHOUSE_REDIS_URL for shared state.",
    )
    p.add_argument(
        "--user", default=os.environ.get("PILOTHOUSE_USER") or _login(), help="who is speaking (default: your login)"
    )
    p.add_argument("--channel", default="shell", help="where you are speaking (default: shell)")
    p.add_argument("--version", action="version", version=f"pilothouse {_version()}")
    return p


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "you"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"PILOTHOUSE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in e.errors()
        )
        print(f"pilothouse: invalid settings: {problems}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot import shell, wiring

    try:
        app = wiring.build(settings, user=args.user)
    except PilothouseError as e:
        print(f"pilothouse: {e}", file=sys.stderr)
        return 2
    try:
        return shell.run(app.pipeline, user=args.user, channel=args.channel)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
