"""An approval request: a durable record of one pending change, and the rules of its life.

Everything about a request lives in one record in the store: the exact action and its digest,
who asked and why, the dry-run preview, what the policy requires, every vote, the expiry and
the state. Chat messages are views of it. The transitions here are pure functions from a
record (and a moment) to the next record, so `Store.update` can apply them atomically and a
second replica, a double click or a retry finds the decision already taken:

    pending ──the deciding vote──▶ executing ──▶ done | failed | unknown
       └──▶ denied | expired | cancelled     └──▶ superseded (the plan changed)

The vote that completes the quorum approves the request and claims its run for the voter's
process in the same atomic write (`approved_at`, `claimed_by`): no moment exists when it is
approved and nobody's, so no second process can take it and nothing waits to be picked up.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.policy.engine import Approval
from commands.approvals import ALPHABET, Via
from commands.errors import PilothouseError

State = Literal["pending", "executing", "done", "failed", "unknown", "denied", "expired", "cancelled", "superseded"]
OPEN: frozenset[str] = frozenset({"pending", "executing"})
SETTLED: frozenset[str] = frozenset({"done", "failed", "unknown", "denied", "expired", "cancelled", "superseded"})


def new_id() -> str:
    """`A-7K2Q`: short enough to type, unambiguous when read aloud."""
    return "A-" + "".join(secrets.choice(ALPHABET) for _ in range(4))


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vote(Frozen):
    user: str
    label: str  # the ID with the display name beside it, for showing only
    approve: bool
    at: datetime
    via: Via = "command"
    reason: str | None = None


class Posted(Frozen):
    """Where a view of the record was posted (a Slack message), to re-render it in place."""

    channel: str
    ts: str


class ApprovalRecord(Frozen):
    id: str
    state: State = "pending"
    command: str  # the command name, as the policy sees it
    spec: str  # the spec's name, to rebuild the action
    arguments: dict[str, Any]  # the validated action, exactly as it will run
    command_line: str  # the same, as a command a person could type
    digest: str  # SHA-256 of the action and the state of the objects it was planned against
    cluster: str | None = None
    namespace: str | None = None
    access: str = "write"
    destructive: bool = False
    warning: str | None = None  # what a destructive change does, from its spec ("scaling to 0 stops every pod")
    requester: str
    requester_label: str
    reason: str | None = None
    channel: str
    thread: str | None = None
    preview: tuple[tuple[str, str], ...] = ()
    requirement: Approval  # what the policy required when it was asked (the rule is asked again at each vote)
    votes: tuple[Vote, ...] = ()
    created: datetime
    expires: datetime
    updated: datetime
    approved_at: datetime | None = None  # when the deciding vote was written (the quorum reached)
    claimed_by: str | None = None  # the process that runs the change
    claimed_at: datetime | None = None
    outcome: str | None = None  # what happened, in a line
    result: tuple[str, ...] = ()  # the execution's reply, as text lines
    supersedes: str | None = None
    superseded_by: str | None = None
    posted: tuple[Posted, ...] = ()
    version: int = 0  # +1 on every change: views re-render only forward

    # --- derived, never stored twice ---------------------------------------------------------

    @property
    def approvals(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.approve)

    @property
    def denials(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if not v.approve)

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def needed(self) -> int:
        return max(0, self.requirement.count - len(self.approvals))

    def expired_at(self, now: datetime) -> bool:
        return self.state == "pending" and now >= self.expires

    def vote_of(self, user: str) -> Vote | None:
        return next((v for v in self.votes if v.user == user), None)


class Refused(PilothouseError):
    """A transition that may not happen now (the request is no longer pending, ...)."""


def _moved(record: ApprovalRecord, now: datetime, **changes: Any) -> ApprovalRecord:
    return record.model_copy(update={**changes, "updated": now, "version": record.version + 1})


def _still_pending(record: ApprovalRecord, now: datetime) -> None:
    if record.state == "expired" or record.expired_at(now):
        raise Refused(
            f"{record.id} expired at {record.expires:%Y-%m-%d %H:%M} UTC and can no longer be voted on.",
            hint="Ask for the change again if it is still needed.",
        )
    if record.state != "pending":
        raise Refused(f"{record.id} is {describe_state(record)}: it can no longer be voted on.")


# --- the transitions: record (+ moment) → next record; Refused if it may not happen ---------


def settle_expiry(record: ApprovalRecord, now: datetime) -> ApprovalRecord:
    """A pending request past its expiry becomes expired (whoever looks first makes it so)."""
    if record.expired_at(now):
        return _moved(record, now, state="expired", outcome="expired: not enough approvals in time")
    return record


def vote(record: ApprovalRecord, ballot: Vote, now: datetime, *, owner: str) -> ApprovalRecord:
    """Count `ballot`: one vote per person (a second replaces the first), then the thresholds.
    The deny threshold is looked at first: a request both approved and denied at once is denied.
    The deciding approval claims the run for `owner`, the voter's process, in the same write."""
    _still_pending(record, now)
    votes = (*(v for v in record.votes if v.user != ballot.user), ballot)
    counted = record.model_copy(update={"votes": votes})
    if len(counted.denials) >= record.requirement.deny_count:
        by = ", ".join(v.label for v in counted.denials)
        return _moved(counted, now, state="denied", outcome=f"denied by {by}")
    if len(counted.approvals) >= record.requirement.count:
        return _moved(counted, now, state="executing", approved_at=now, claimed_by=owner, claimed_at=now)
    return _moved(counted, now)


def withdraw(record: ApprovalRecord, user: str, now: datetime) -> ApprovalRecord:
    """Take back a vote (a removed reaction) while the request is still pending."""
    _still_pending(record, now)
    if record.vote_of(user) is None:
        raise Refused(f"You have no vote on {record.id} to withdraw.")
    return _moved(record, now, votes=tuple(v for v in record.votes if v.user != user))


def cancel(record: ApprovalRecord, user: str, now: datetime) -> ApprovalRecord:
    if user != record.requester:
        raise Refused(
            f"Only {record.requester_label}, who asked for {record.id}, can cancel it.",
            hint=f"`deny {record.id} REASON` votes against it, if you are one of its approvers.",
        )
    _still_pending(record, now)
    return _moved(record, now, state="cancelled", outcome=f"cancelled by {record.requester_label}")


def finish(
    record: ApprovalRecord, owner: str, state: State, outcome: str, result: tuple[str, ...], now: datetime
) -> ApprovalRecord:
    if record.state != "executing" or record.claimed_by != owner:
        raise Refused(f"{record.id} is no longer run by this process ({describe_state(record)}).")
    return _moved(record, now, state=state, outcome=outcome, result=result)


def supersede(record: ApprovalRecord, owner: str, successor: str, why: str, now: datetime) -> ApprovalRecord:
    if record.state != "executing" or record.claimed_by != owner:
        raise Refused(f"{record.id} is no longer run by this process ({describe_state(record)}).")
    return _moved(record, now, state="superseded", superseded_by=successor, outcome=why)


def lost(record: ApprovalRecord, now: datetime, *, after: timedelta, shows: tuple[str, ...]) -> ApprovalRecord:
    """An execution claimed longer ago than any run may take: its process died. Whether the
    change reached the cluster is unknown; it is never run again by itself."""
    if record.state != "executing" or record.claimed_at is None or now - record.claimed_at < after:
        return record
    outcome = "unknown: the process running it stopped; the change may or may not have been made"
    return _moved(record, now, state="unknown", outcome=outcome, result=shows)


def posted(record: ApprovalRecord, where: Posted) -> ApprovalRecord:
    if where in record.posted:
        return record
    return record.model_copy(update={"posted": (*record.posted, where)})


def describe_state(record: ApprovalRecord) -> str:
    words = {
        "pending": "waiting for approval",
        "executing": "running now",
        "done": "done",
        "failed": "failed",
        "unknown": "in an unknown state",
        "denied": "denied",
        "expired": "expired",
        "cancelled": "cancelled",
        "superseded": f"superseded by {record.superseded_by}" if record.superseded_by else "superseded",
    }
    return words[record.state]


def requirement_text(record: ApprovalRecord) -> str:
    r = record.requirement
    if r.is_confirmation:
        return f"a `yes` from {record.requester_label}"
    who = ", ".join(r.approvers)
    text = f"{r.count} approval{'s' if r.count != 1 else ''} from {who}"
    if r.deny_count > 1:
        text += f"; {r.deny_count} denials refuse it"
    return text + ("" if r.self_approval else " (not the requester)")
