"""The approval desk: a change that needs approval becomes a request; votes count on it; the
vote that completes it runs the change, exactly once, as the person who asked.

Every step is one atomic transition of the record (bot/approvals/record.py, applied with
`Store.update`), so whichever replica, click, reaction or retry comes first decides, and the
others find it decided. Whoever moves a record announces it (`Notifier`): chat messages are
re-rendered from the record, never kept beside it.

Execution: the vote that reaches the quorum approves the request and claims its run for its own
process in the same atomic write (`pending → executing`, exactly one claimant), decides the original request again
for the requester under the policy now, rehearses it again and compares the plan digest (a
moved target supersedes the request with a fresh one), and only then makes the change. A claim
older than any run may take means its process died: the request is reported `unknown` with
what the cluster shows now, and is never run again by itself.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.access import Access
from bot.approvals import record as rec
from bot.approvals.book import ApprovalBook, missing
from bot.approvals.record import ApprovalRecord, Refused, Vote, requirement_text
from bot.approvals.rehearsal import Rehearsal
from bot.approvals.view import listing, tally, view
from bot.audit import AuditLog, AuditRecord
from bot.message import Message
from bot.pipeline.authorise import authorise
from bot.pipeline.dispatch import Dispatcher
from bot.policy.engine import Approval, Ballot, Decision, Request
from bot.policy.explain import refusal
from bot.policy.subject import Subject
from bot.trace import Trace
from commands.approvals import CancelRequest, ListApprovals, ShowRequest, WithdrawVote
from commands.approvals import Vote as VoteAction
from commands.deploy import Change, DeletePod, NodeChange
from commands.errors import ParseError, PilothouseError, TimedOut, Unreachable
from commands.parser import Parsed, parse
from commands.registry import Registry
from commands.replies import Fields, Notice, Paragraph, Reply
from integrations.cluster.clusters import Clusters
from integrations.render.text import render as render_text

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Told of every transition, by whoever made it (exactly one caller per transition)."""

    def changed(self, record: ApprovalRecord, event: str) -> None: ...

    def shown(self, record: ApprovalRecord) -> str | None:
        """Where the notifier showed a new request's view itself (e.g. "in this channel and in
        #approvals"), so the requester's reply points there instead of repeating it; None: the
        reply is the view."""
        ...


class Quiet:
    """The shell's notifier: the replies say it all."""

    def changed(self, record: ApprovalRecord, event: str) -> None:
        return None

    def shown(self, record: ApprovalRecord) -> str | None:
        return None


def process_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ApprovalDesk:
    def __init__(
        self,
        *,
        book: ApprovalBook,
        access: Access,
        registry: Registry,
        clusters: Clusters,
        dispatcher: Dispatcher,
        audit: AuditLog,
        clock: Callable[[], datetime],
        budget: float,
        notifier: Notifier | None = None,
        requests: Callable[[Parsed, Message], Request],
    ) -> None:
        """`requests`: the pipeline's own way from a command to the Request the policy decides
        (its scope, the moment, the deploy lock): asked again for the requester before a run."""
        self.requests = requests
        self.book = book
        self.access = access
        self.registry = registry
        self.clusters = clusters
        self.dispatcher = dispatcher
        self.audit = audit
        self.clock = clock
        self.notifier: Notifier = notifier or Quiet()
        self.owner = process_identity()
        # A claim older than this cannot still be running: runs stop at the budget, their
        # process is killed 10 s later (bot/work_pool.py), and a margin for clocks.
        self.lost_after = timedelta(seconds=budget + 10 + 20)

    # --- a change that needs approval -----------------------------------------------------------

    def request(
        self,
        message: Message,
        subject: Subject,
        parsed: Parsed,
        request: Request,
        approval: Approval,
        trace: Trace,
        *,
        supersedes: str | None = None,
    ) -> Reply:
        """Rehearse the change (every write a dry run) and, if it would change something, keep
        it waiting as a request; what the rehearsal says is the preview people approve."""
        parsed = _pinned(parsed, request)
        rehearsal = Rehearsal()
        rehearsed = self.dispatcher.run(
            message, subject, parsed, request, trace, rehearsal=rehearsal, approved=approval.rule
        )
        if not rehearsed.ok or rehearsed.effect != "done" or not rehearsal.writes:
            return rehearsed  # nothing to do, a question back, or an error: nothing to approve
        record = self._create(message, subject, parsed, request, approval, rehearsal, rehearsed, supersedes)
        trace.args = {**(trace.args or {}), "approval": record.id}
        return self._announce_new(record)

    def _create(
        self,
        message: Message,
        subject: Subject,
        parsed: Parsed,
        request: Request,
        approval: Approval,
        rehearsal: Rehearsal,
        rehearsed: Reply,
        supersedes: str | None,
    ) -> ApprovalRecord:
        now = self.clock()
        arguments = parsed.action.model_dump(mode="json", exclude_none=True)
        preview = tuple(pair for block in rehearsed.blocks if isinstance(block, Fields) for pair in block.pairs)

        def make(approval_id: str) -> ApprovalRecord:
            return ApprovalRecord(
                id=approval_id,
                command=request.command,
                spec=parsed.spec.name,
                arguments=arguments,
                command_line=parsed.spec.command_line(parsed.action),
                digest=rehearsal.digest(arguments),
                cluster=request.cluster,
                namespace=request.namespace,
                access=request.access,
                destructive=request.destructive,
                warning=parsed.spec.confirm.why if request.destructive and parsed.spec.confirm else None,
                requester=subject.id,
                requester_label=subject.label,
                reason=getattr(parsed.action, "reason", None),
                channel=message.channel,
                thread=message.thread,
                preview=preview,
                requirement=approval,
                created=now,
                expires=now + timedelta(seconds=approval.ttl),
                updated=now,
                supersedes=supersedes,
            )

        return self.book.create(make)

    # --- the commands ------------------------------------------------------------------------

    def listing(self, message: Message, subject: Subject, action: ListApprovals) -> Reply:
        """The open requests this person may vote on or asked for (with --all, the settled too)."""
        now = self.clock()
        shown = [
            r
            for r in self.sweep()
            if (r.open or action.all)
            and (
                r.requester == subject.id
                or self._may_vote(subject, message, r)
                or (action.all and not r.open and self.access.authorise(subject, self._reading(message, r)).allowed)
            )
        ]
        return listing(shown, now=now)

    def show(self, message: Message, subject: Subject, action: ShowRequest, trace: Trace) -> Reply:
        """A request is shown to its requester, to whoever may vote on it, and to whoever may
        read where it changes: its preview says what is there."""
        record = self._settled(action.id)
        if record.requester != subject.id and not self._may_vote(subject, message, record):
            authorise(self.access, subject, self._reading(message, record), trace)
        return replace(view(record), effect="done")

    @staticmethod
    def _reading(message: Message, record: ApprovalRecord) -> Request:
        return Request("show", "read", message.channel, record.cluster, record.namespace)

    def vote(self, message: Message, subject: Subject, action: VoteAction, trace: Trace, *, approve: bool) -> Reply:
        record = self._settled(action.id)
        self._authorise_vote(message, subject, record, trace, "approve" if approve else "deny")
        ballot = Vote(
            user=subject.id, label=subject.label, approve=approve, at=self.clock(), via=action.via, reason=action.reason
        )
        before, after = self.book.change(record.id, lambda r: rec.vote(r, ballot, self.clock(), owner=self.owner))
        trace.args = {**(trace.args or {}), "approval": record.id}
        if after.state == "executing" and before.state == "pending":
            return self._execute(before, after)  # this vote decided: the run is this process's
        self._announce(before, after, "voted")
        if after.state == "denied":
            return Reply((Notice("info", f"{after.id} is denied: {after.outcome}."),))
        word = "approval" if approve else "denial"
        again = " (it replaces your earlier vote)" if before.vote_of(subject.id) is not None else ""
        return Reply(
            (Notice("ok", f"Counted your {word} of {after.id}{again}: {tally(after)}, {after.needed} more needed."),)
        )

    def withdraw(self, message: Message, subject: Subject, action: WithdrawVote, trace: Trace) -> Reply:
        record = self._settled(action.id)
        before, after = self.book.change(record.id, lambda r: rec.withdraw(r, subject.id, self.clock()))
        self._announce(before, after, "withdrawn")
        return Reply((Notice("ok", f"Withdrew your vote on {after.id}: {tally(after)}."),))

    def cancel(self, message: Message, subject: Subject, action: CancelRequest) -> Reply:
        approval_id = action.id or self.book.waiting_confirmation(message.channel, subject.id)
        if approval_id is None:
            raise ParseError(
                "Nothing of yours is waiting here to cancel.",
                hint="`cancel ID` cancels a request; `approvals` lists yours.",
            )
        record = self._settled(approval_id)
        before, after = self.book.change(record.id, lambda r: rec.cancel(r, subject.id, self.clock()))
        self._announce(before, after, "cancelled")
        return Reply((Notice("info", f"Cancelled {after.id}: `{after.command_line}` was not done."),))

    def confirm(self, message: Message, subject: Subject, trace: Trace, *, yes: bool) -> Reply | None:
        """`yes`/`no` to the change waiting for this person here: a vote on, or the cancelling
        of, its confirmation request. None when nothing waits."""
        approval_id = self.book.waiting_confirmation(message.channel, subject.id)
        record = self._settled(approval_id) if approval_id else None
        if record is not None and record.state == "expired":
            raise Refused(
                f"`{record.command_line}` waited for your `yes` until {record.expires:%H:%M} UTC; it was not done.",
                hint="Run the command again if it is still needed.",
            )
        if record is None or record.state != "pending":
            return None
        if not yes:
            return self.cancel(message, subject, CancelRequest(id=record.id))
        return self.vote(message, subject, VoteAction(id=record.id), trace, approve=True)

    # --- eligibility: the one decision, asked at the moment of the vote -----------------------

    def _ballot_request(self, message: Message, record: ApprovalRecord, command: str) -> Request:
        return Request(
            command,
            "meta",
            message.channel,
            record.cluster,
            record.namespace,
            ballot=Ballot(record.requirement.rule, record.requester),
        )

    def _authorise_vote(
        self, message: Message, subject: Subject, record: ApprovalRecord, trace: Trace, verb: str
    ) -> Decision:
        return authorise(self.access, subject, self._ballot_request(message, record, verb), trace)

    def _may_vote(self, subject: Subject, message: Message, record: ApprovalRecord) -> bool:
        request = self._ballot_request(message, record, "approve")
        return record.state == "pending" and self.access.authorise(subject, request).allowed

    # --- execution, exactly once ---------------------------------------------------------------

    def _execute(self, before: ApprovalRecord, record: ApprovalRecord) -> Reply:
        started = time.monotonic()
        self._announce(before, record, "executing")
        try:
            return self._run(record, started)
        except Exception as e:
            # Whatever went wrong, the record must not stay "executing" until it is called lost.
            message = e.message if isinstance(e, PilothouseError) else "Pilothouse failed inside; see its logs"
            if not isinstance(e, PilothouseError):
                log.exception("running approved request %s failed", record.id)
            self._finish(record, "failed", f"failed: {message}", ())
            raise

    def _run(self, record: ApprovalRecord, started: float) -> Reply:
        """`started`: when this process took the run (the audited run's duration counts from it)."""
        spec = self.registry.find(record.spec)
        if spec is None:
            return self._finish(record, "failed", f"failed: the command `{record.spec}` no longer exists", ())
        parsed = Parsed(spec, spec.model.model_validate(record.arguments))
        message = Message(user=record.requester, channel=record.channel, text=record.command_line, thread=record.thread)
        requester = self.access.subject(message)
        run = Trace(uuid.uuid4().hex[:12], started)
        # Recorded as a typed command is (bot/pipeline): what was given, not every default.
        given = parsed.action.model_dump(exclude_none=True, exclude_defaults=True)
        run.command, run.args = record.command, {**given, "approval": record.id}
        request = self.requests(parsed, message)
        decision = self.access.authorise(requester, request)
        run.decided(request, decision)
        if decision.outcome == "deny":
            why = refusal(decision, request, self.access.policy.current).message
            return self._finish(record, "failed", f"not run: the policy no longer allows it ({why})", ())
        needed = decision.approval.rule if decision.outcome == "needs_approval" and decision.approval else None
        if needed is not None and needed != record.requirement.rule:
            # The policy now wants another approval than the one given: it is asked for afresh.
            return self._supersede(record, message, requester, parsed, request, decision)
        rehearsal = Rehearsal()
        rehearsing = Trace("rehearsal", time.monotonic())
        self.dispatcher.run(message, requester, parsed, request, rehearsing, rehearsal=rehearsal, approved=needed)
        if rehearsal.digest(record.arguments) != record.digest:
            return self._supersede(record, message, requester, parsed, request, decision)
        try:
            reply = self.dispatcher.run(message, requester, parsed, request, run, approved=needed)
        except PilothouseError as e:
            if isinstance(e, TimedOut | Unreachable):
                # The change may have reached the API server before the answer was lost: say so.
                self.audit.record(
                    run.record(message, requester, at=self.clock(), outcome="unknown", error=type(e).__name__)
                )
                why = f"unknown: {e.message} The change may or may not have been made"
                return self._finish(record, "unknown", why, self._what_cluster_shows(record))
            self.audit.record(run.record(message, requester, at=self.clock(), outcome="failed", error=type(e).__name__))
            return self._finish(record, "failed", f"failed: {e.message}", ())
        self.audit.record(run.record(message, requester, at=self.clock(), outcome="ok" if reply.ok else "failed"))
        state: rec.State = "done" if reply.ok else "failed"
        self._finish(record, state, "done" if reply.ok else "failed", _lines(reply))
        said = "confirmed" if record.requirement.is_confirmation else f"approved ({tally(record)})"
        heading = Notice("ok", f"{record.id} is {said} and was run as {record.requester_label}:")
        return replace(reply, blocks=(heading, *reply.blocks))

    def _finish(self, record: ApprovalRecord, state: rec.State, outcome: str, result: tuple[str, ...]) -> Reply:
        before, after = self.book.change(
            record.id, lambda r: rec.finish(r, self.owner, state, outcome, result, self.clock())
        )
        self._announce(before, after, state)
        return Reply((Notice("ok" if state == "done" else "error", f"{after.id}: {outcome}."),), ok=state == "done")

    def _supersede(
        self,
        record: ApprovalRecord,
        message: Message,
        requester: Subject,
        parsed: Parsed,
        request: Request,
        decision: Decision,
    ) -> Reply:
        """The target moved since the request was approved: ask afresh for what would happen now."""
        # Allowed outright now: still never run on a plan nobody saw, so the same requirement again.
        approval = decision.approval or record.requirement
        fresh_trace = Trace(uuid.uuid4().hex[:12], time.monotonic())
        fresh = self.request(message, requester, parsed, request, approval, fresh_trace, supersedes=record.id)
        successor = (fresh_trace.args or {}).get("approval")
        why = "superseded: the target changed after it was approved"
        if successor is None:
            why = "superseded: the target changed after it was approved, and the change is no longer needed"
        before, after = self.book.change(
            record.id, lambda r: rec.supersede(r, self.owner, successor or "-", why, self.clock())
        )
        self._announce(before, after, "superseded")
        text = f"{record.id} was not run: {why[len('superseded: ') :]}."
        if successor:
            text += f" Fresh approval is needed: {successor}."
        return Reply((Notice("warning", text), *fresh.blocks), ok=successor is not None or fresh.ok)

    # --- time passing: expiry and lost executions ------------------------------------------------

    def sweep(self) -> list[ApprovalRecord]:
        """Settle what time has decided; every record, as it is after that. Safe on every
        replica at once: each transition is atomic and only the caller that made it announces it."""
        now = self.clock()
        ids, records = self.book.scan()
        swept = []
        for record in records:
            if record.expired_at(now):
                record = self._change_quietly(record, lambda r: rec.settle_expiry(r, self.clock()), "expired")
            elif record.state == "executing" and self._lost(record, now):
                shows = self._what_cluster_shows(record)

                def lost(r: ApprovalRecord, shows: tuple[str, ...] = shows) -> ApprovalRecord:
                    return rec.lost(r, self.clock(), after=self.lost_after, shows=shows)

                record = self._change_quietly(record, lost, "unknown")
            swept.append(record)
        self.book.prune(ids, swept)
        return swept

    def _lost(self, record: ApprovalRecord, now: datetime) -> bool:
        return record.claimed_at is not None and now - record.claimed_at >= self.lost_after

    def _change_quietly(
        self,
        record: ApprovalRecord,
        step: Callable[[ApprovalRecord], ApprovalRecord],
        event: Literal["expired", "unknown"],
    ) -> ApprovalRecord:
        """A transition time made (no one's command): announced, and audited as the request's.
        The record as it is after (as it was, if it is gone)."""
        try:
            before, after = self.book.change(record.id, step)
        except Refused:
            return record
        if after.version != before.version:
            self._audit_settled(after, event)
        self._announce(before, after, event)
        return after

    def _audit_settled(self, record: ApprovalRecord, outcome: Literal["expired", "unknown"]) -> None:
        self.audit.record(
            AuditRecord(
                at=self.clock(),
                request_id=uuid.uuid4().hex[:12],
                user=record.requester,
                channel=record.channel,
                command=record.command,
                args={**record.arguments, "approval": record.id},
                cluster=record.cluster,
                namespace=record.namespace,
                access=record.access,
                destructive=record.destructive,
                decision="needs_approval",
                rule=record.requirement.rule,
                outcome=outcome,
                error=record.outcome,
                duration_ms=0,
            )
        )

    def _what_cluster_shows(self, record: ApprovalRecord) -> tuple[str, ...]:
        """For a request whose run was lost: the target as it is now, so people can judge."""
        spec = self.registry.find(record.spec)
        target = _described(spec.model.model_validate(record.arguments)) if spec and record.cluster else None
        if target is None:
            return ("`status` shows the cluster now.",)
        where = f" -n {record.namespace}" if record.namespace else ""
        text = f"describe {target}{where} --cluster {record.cluster}"
        message = Message(user=record.requester, channel=record.channel, text=text)
        try:
            parsed = parse(text, self.registry)
            requester = self.access.subject(message)
            request = self.requests(parsed, message)
            if not self.access.authorise(requester, request).allowed:
                return ("`status` shows the cluster now.",)
            reply = self.dispatcher.run(message, requester, parsed, request, Trace("lost", time.monotonic()))
        except PilothouseError as e:
            return (f"The cluster could not be read: {e.message}",)
        return ("What the cluster shows now:", *_lines(reply)[:20])

    # --- helpers -------------------------------------------------------------------------------

    def _settled(self, approval_id: str) -> ApprovalRecord:
        """The record, with what time has decided about it applied first (an expiry)."""
        found = self.book.get(approval_id)
        if found is None:
            raise missing(approval_id)
        if found.expired_at(self.clock()):
            found = self._change_quietly(found, lambda r: rec.settle_expiry(r, self.clock()), "expired")
        return found

    def _announce_new(self, record: ApprovalRecord) -> Reply:
        """Tell of the new request; the requester's reply is its view, unless the notifier
        showed that itself (then a line saying where: one view per place, not two)."""
        try:
            self.notifier.changed(record, "created")
            where = self.notifier.shown(self.book.get(record.id) or record)
        except Exception:  # the request stands; its view goes in the reply instead
            log.exception("could not show the new approval request %s", record.id)
            where = None
        if where is None:
            return view(record)
        if record.requirement.is_confirmation:
            text = f"{record.id} waits for your `yes` (or its button), posted {where}: `{record.command_line}`."
        else:
            text = f"{record.id} is waiting for approval ({requirement_text(record)}): posted {where}."
        return Reply((Notice("info", text),), effect="asked")

    def _announce(self, before: ApprovalRecord, after: ApprovalRecord, event: str) -> None:
        if after.version == before.version:
            return
        if after.requirement.is_confirmation and not after.open:
            self.book.forget_confirmation(after)
        try:
            self.notifier.changed(after, event)
        except Exception:  # a chat that cannot be told must not undo or repeat the transition
            log.exception("could not show the %s of approval request %s", event, after.id)


def _pinned(parsed: Parsed, request: Request) -> Parsed:
    """The action with its cluster and namespace written in, as decided: what is approved is
    exactly what runs, whatever defaults say by then."""
    fields = type(parsed.action).model_fields
    pins = {"cluster": request.cluster} if "cluster" in fields and request.cluster else {}
    if "namespace" in fields and request.namespace:
        pins["namespace"] = request.namespace
    return replace(parsed, action=parsed.action.model_copy(update=pins)) if pins else parsed


def _described(action: object) -> str | None:
    """The object a change is about, as `describe` names it: `deployments/web`, `node node-1`."""
    if isinstance(action, Change):
        kind, name = action.target
        return f"{kind}/{name}"
    if isinstance(action, NodeChange):
        return f"node {action.node}"
    if isinstance(action, DeletePod):
        return f"pod {action.pod}"
    return None


def _lines(reply: Reply) -> tuple[str, ...]:
    text = render_text(replace(reply, blocks=tuple(b for b in reply.blocks if not isinstance(b, Paragraph))))
    return tuple(line for line in text.splitlines() if line.strip())[:40]


__all__ = ["ApprovalDesk", "Notifier", "Quiet"]
