"""A request as people see it: one view of the record, rendered the same in every chat and
re-rendered after every transition (Slack edits its messages in place with it)."""

from __future__ import annotations

from datetime import datetime

from bot.approvals.record import ApprovalRecord, describe_state, requirement_text
from commands.replies import Actions, Block, Button, Fields, Heading, Notice, Paragraph, Preformatted, Reply, table
from commands.values import duration_text

ICONS = {"done": "ok", "failed": "error", "unknown": "warning", "denied": "error", "expired": "warning"}


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def votes_text(record: ApprovalRecord) -> str:
    if not record.votes:
        return "none yet"
    return "; ".join(
        f"{'approved' if v.approve else 'denied'} by {v.label} ({v.via}, {v.at:%H:%M})"
        + (f": {v.reason}" if v.reason else "")
        for v in record.votes
    )


def tally(record: ApprovalRecord) -> str:
    r = record.requirement
    return f"{len(record.approvals)} of {r.count} approval{'s' if r.count != 1 else ''}"


def view(record: ApprovalRecord) -> Reply:
    """The request, its state, and while it waits the buttons to act on it."""
    title = "Confirm" if record.requirement.is_confirmation else "Approval request"
    blocks: list[Block] = [Heading(f"{title} {record.id}: `{record.command_line}`")]
    if record.warning and record.state == "pending":
        blocks.append(Notice("warning", f"Destructive: {record.warning}."))
    pairs = [("Requested by", record.requester_label)]
    if record.reason:
        pairs.append(("Reason", record.reason))
    pairs += list(record.preview)
    pairs.append(("Needs", requirement_text(record)))
    if not record.requirement.is_confirmation:
        pairs.append(("Votes", f"{tally(record)}: {votes_text(record)}"))
    pairs.append(("State", describe_state(record)))
    if record.state == "pending":
        pairs.append(("Expires", _time(record.expires)))
    if record.supersedes:
        pairs.append(("Replaces", f"{record.supersedes} (the target changed after it was approved)"))
    blocks.append(Fields(tuple(pairs)))
    if record.outcome and record.state != "pending":
        level = ICONS.get(record.state, "info")
        blocks.append(Notice(level, f"{record.id}: {record.outcome}."))  # type: ignore[arg-type]
    if record.result:
        blocks.append(Preformatted(record.result))
    if record.state == "pending":
        blocks.append(Paragraph(_how(record)))
        blocks.append(Actions(_buttons(record)))
    return Reply(tuple(blocks), effect="asked" if record.state == "pending" else "done")


def _how(record: ApprovalRecord) -> str:
    if record.requirement.is_confirmation:
        return f"Reply `yes` before {record.expires:%H:%M} UTC to go ahead, or `no` to cancel."
    return (
        f"Approvers: `approve {record.id}` or `deny {record.id} REASON` (or the buttons, or a reaction); "
        f"{record.requester_label} can `cancel {record.id}`."
    )


def _buttons(record: ApprovalRecord) -> tuple[Button, ...]:
    if record.requirement.is_confirmation:
        return (
            Button("Yes, go ahead", f"approve {record.id} --via button", changes_cluster=True, style="danger"),
            Button("Cancel", f"cancel {record.id}"),
        )
    return (
        Button("Approve", f"approve {record.id} --via button", changes_cluster=True, style="primary"),
        Button("Deny", f"deny {record.id} --via button", style="danger", confirm="Deny this request?"),
        Button("Cancel request", f"cancel {record.id}"),
    )


def listing(records: list[ApprovalRecord], *, now: datetime) -> Reply:
    if not records:
        return Reply((Notice("info", "No approval requests are waiting for you."),), effect="nothing")
    rows = [
        (
            r.id,
            r.command_line,
            r.requester_label,
            f"{tally(r)}" if r.state == "pending" else describe_state(r),
            _left(r, now),
        )
        for r in records
    ]
    return Reply(
        (
            Heading(f"{len(records)} approval request{'s' if len(records) != 1 else ''}"),
            table(("ID", "CHANGE", "REQUESTED BY", "VOTES", "EXPIRES"), rows, limit=50),
            Paragraph("`show ID` for one; `approve ID` or `deny ID REASON` to vote."),
        )
    )


def _left(record: ApprovalRecord, now: datetime) -> str:
    if record.state != "pending":
        return "-"
    return f"in {duration_text((record.expires - now).total_seconds())}"
