"""`pilothouse audit export --since … [--until …]`: the audit trail as JSON Lines on stdout,
for a SIEM. One record per line, oldest first, each with its stream ID; read by ID range."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pilothouse audit", description="The audit trail (PILOTHOUSE_REDIS_URL).")
    sub = p.add_subparsers(dest="action", required=True)
    export = sub.add_parser("export", help="write records as JSON Lines to stdout")
    export.add_argument("--since", required=True, help="from: `24h`, `7d` ago, or an ISO 8601 time")
    export.add_argument("--until", help="to (default: now): `1h` ago, or an ISO 8601 time")
    export.add_argument("--env-file", metavar="PATH", help="read PILOTHOUSE_* settings from this file too")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    from bot import wiring
    from bot.audit import AuditLog
    from bot.cli import load_settings
    from commands.audit import moment
    from commands.errors import PilothouseError

    settings = load_settings(args.env_file, "pilothouse audit")
    if settings is None:
        return 2
    now = datetime.now(UTC)
    try:
        since = moment(args.since, now)
        until = moment(args.until, now) if args.until else now
    except ValueError as e:
        print(f"pilothouse audit export: {e}", file=sys.stderr)
        return 2
    if settings.redis_url is None:
        print(
            "pilothouse audit export: without PILOTHOUSE_REDIS_URL the trail lives only in a running shell's memory",
            file=sys.stderr,
        )
    try:
        trail = AuditLog(wiring.build_store(settings))
        count = 0
        for record in trail.between(since, until):
            sys.stdout.write(record.model_dump_json() + "\n")
            count += 1
    except PilothouseError as e:
        print(f"pilothouse audit export: {e}", file=sys.stderr)
        return 2
    print(f"{count} record(s) from {since.isoformat()} to {until.isoformat()}", file=sys.stderr)
    return 0
