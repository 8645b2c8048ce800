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
    # A change that waited for a `yes` or an approval was recorded as "asked" then: only its
    # run, recorded "ok" as its requester's, is the change.
    return r.phase == "result" and r.outcome == "ok" and r.command in ROLLOUT_COMMANDS


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
