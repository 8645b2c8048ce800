"""`pilothouse digest --print`: a digest on stdout, for trying it and for cron without Slack."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from commands.errors import PilothouseError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pilothouse digest",
        description="Render a digest of a cluster (or one namespace). With PILOTHOUSE_REDIS_URL set, each run "
        "also says what changed since the previous run for the same --place.",
    )
    p.add_argument("--print", action="store_true", required=True, help="write the digest to stdout as text")
    p.add_argument("--cluster", metavar="C", help="the cluster (default: the default cluster)")
    p.add_argument("-n", "--namespace", metavar="N", help="one namespace (default: the whole cluster)")
    p.add_argument("--place", default="cli", help="whose 'last digest' to compare with (default: cli)")
    p.add_argument(
        "--user",
        default=os.environ.get("PILOTHOUSE_USER") or _login(),
        help="the local operator the policy decides for (default: your login)",
    )
    p.add_argument("--impersonate", action="store_true", help="read the cluster as the --user (impersonation)")
    p.add_argument("--env-file", metavar="PATH", help="read PILOTHOUSE_* settings from this file too")
    return p


def _login() -> str:
    from bot.cli import _login as login

    return login()


def main(argv: list[str]) -> int:
    """As a local operator identity (`--user`): decided by the policy as the shell's user would
    be, read through that person's views, and audited like any request."""
    args = parser().parse_args(argv)
    from bot import wiring
    from bot.cli import load_settings
    from bot.digest import render
    from bot.digest.service import DecidedDigests
    from bot.message import Message
    from commands.values import dns_label
    from integrations.render.text import render as text

    settings = load_settings(args.env_file, "pilothouse digest")
    if settings is None:
        return 2
    try:
        namespace = dns_label(args.namespace) if args.namespace else None
        app = wiring.build(settings, user=args.user, shell=True, impersonate=args.impersonate)
        operator = app.access.subject(Message(args.user, args.place, ""))
        digests = DecidedDigests(app.access, app.store, app.audit)
        digest = digests.make(
            operator, place=args.place, cluster=args.cluster, namespace=namespace, now=datetime.now(UTC)
        )
    except (ValueError, PilothouseError) as e:
        print(f"pilothouse digest: {e}", file=sys.stderr)
        return 2
    print(text(render.reply(digest)))
    return 0
