"""Changes made through Pilothouse in a period, from the audit trail: never guessed."""

from __future__ import annotations

from datetime import datetime

from bot.audit import AuditLog, AuditRecord
from bot.digest.model import PilothouseChange
from bot.policy.subject import named

ROLLOUT_COMMANDS = ("deploy", "rollback", "restart", "scale")


def pilothouse_changes(
    audit: AuditLog, cluster: str, namespace: str | None, since: datetime, until: datetime
) -> list[PilothouseChange]:
    """The period's records, read by stream ID (time), not by scanning the trail."""
    return [
        PilothouseChange(r.at, named(r.user, r.user_name), _what(r), r.namespace)
        for r in audit.between(since, until)
        if r.cluster == cluster and _counts(r) and namespace in (None, r.namespace)
    ]


def _counts(r: AuditRecord) -> bool:
    if r.phase != "result" or r.outcome != "ok" or r.command not in ROLLOUT_COMMANDS:
        return False
    # A scale to 0 first asks for a `yes`: only the confirmed record is the change.
    return not (r.command == "scale" and r.args.get("replicas") == 0 and not r.args.get("confirmed"))


def _what(r: AuditRecord) -> str:
    args = r.args
    name = str(args.get("name", "?"))
    match r.command:
        case "deploy":
            container = f" -c {args['container']}" if args.get("container") else ""
            return f"deploy {name} {args.get('image', '?')}{container}"
        case "scale":
            return f"scale {name} {args.get('replicas', '?')}"
        case "rollback":
            to = f" --to-revision {args['to_revision']}" if args.get("to_revision") else ""
            return f"rollback {name}{to}"
        case _:
            return f"{r.command} {name}"
