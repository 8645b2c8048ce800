"""The pipeline: (who, where, text) → reply, in small steps, each of its own module:

    who       the Subject: the person's ID, display name (a label), groups   bot/access.py
    resolve   conversation, defaults and topic → parse                       resolve.py
    authorise the command as a policy Request → the one decision            authorise.py
    approve   a change that needs approval (or confirmation) waits as a     bot/approvals/
              request; votes on it; the deciding vote runs it, once
    dispatch  the intent audited, the handler run with views of the person  dispatch.py
    audit     one record per message                                        bot/trace.py, bot/audit.py

Adapters (shell, Slack) call `Pipeline.handle` and render the reply, then `Pipeline.follow`
for a rollout it started; nothing here knows which chat a message came from.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot import logs
from bot.access import Access
from bot.approvals.book import ApprovalBook
from bot.approvals.desk import ApprovalDesk, Notifier
from bot.audit import AuditLog, AuditRecord, Outcome
from bot.budget import Budget, Overrun
from bot.conversation import Conversation, Conversations
from bot.defaults import DefaultsStore
from bot.locks import Locks
from bot.message import Message
from bot.pipeline.authorise import authorise, enforce, request_for, workload
from bot.pipeline.dispatch import Dispatcher
from bot.pipeline.follow import Follower, Progress
from bot.pipeline.resolve import Resolver
from bot.policy.engine import Approval, Policy, Request
from bot.policy.load import builtin
from bot.policy.reload import PolicyHolder
from bot.policy.subject import Subject
from bot.trace import Trace
from commands.approvals import (
    ApproveRequest,
    CancelRequest,
    DenyRequest,
    ListApprovals,
    ShowRequest,
    WithdrawVote,
)
from commands.errors import MissingArguments, ParseError, PilothouseError, PolicyDenied, TimedOut
from commands.meta import Answer, Use
from commands.parser import Parsed
from commands.registry import Registry
from commands.replies import Notice, Reply, bounded, error_reply
from integrations.cluster.clusters import Clusters
from integrations.redact import redact_text
from integrations.store.port import Store

log = logging.getLogger(__name__)

APPROVAL_ACTIONS = (ListApprovals, ShowRequest, ApproveRequest, DenyRequest, WithdrawVote, CancelRequest)

__all__ = ["Message", "Pipeline", "Progress"]


def _error(error: PilothouseError) -> Reply:
    """An error as the person sees it: a library's message it quotes may hold a URL's password."""
    return error_reply(redact_text(error.message), redact_text(error.hint) if error.hint else None)


def _outcome(reply: Reply, trace: Trace) -> Outcome:
    if trace.asked or reply.effect == "asked":
        return "asked"
    return "unchanged" if reply.effect == "nothing" else "ok"


class Pipeline:
    def __init__(
        self,
        *,
        registry: Registry,
        clusters: Clusters,
        store: Store,
        policy: Policy | PolicyHolder | None = None,
        access: Access | None = None,
        audit: AuditLog | None = None,
        observers: Sequence[Callable[[AuditRecord], None]] = (),
        channel_clusters: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: float = 30.0,
        notifier: Notifier | None = None,
    ) -> None:
        """`budget`: seconds one message may take before it is stopped (PILOTHOUSE_REQUEST_BUDGET)."""
        self.budget = Budget(budget)
        if access is None:
            fixed = policy if isinstance(policy, PolicyHolder) else PolicyHolder(lambda: policy or builtin(registry))
            access = Access(fixed, clusters)
        self.access = access
        self.registry = registry
        self.clusters = clusters
        self.store = store
        self.audit = audit or AuditLog(store)
        self.conversations = Conversations(store)
        self.locks = Locks(store)
        # A channel's own cluster (e.g. #shop-prod → prod-eu); a person's `use` and --cluster win.
        self.channel_clusters = dict(channel_clusters or {})
        for cluster in self.channel_clusters.values():
            clusters.get(cluster)  # UnknownCluster at start-up, not on the first message
        self.observers = tuple(observers)  # e.g. metrics: each sees every audit record
        self._clock = clock
        self.resolver = Resolver(
            registry=registry,
            clusters=clusters,
            conversations=self.conversations,
            defaults=DefaultsStore(store),
            channel_clusters=self.channel_clusters,
            clock=clock,
        )
        self.dispatcher = Dispatcher(
            access=access,
            registry=registry,
            store=store,
            audit=self.audit,
            clock=clock,
        )
        self.approvals = ApprovalDesk(
            book=ApprovalBook(store),
            access=access,
            registry=registry,
            clusters=clusters,
            dispatcher=self.dispatcher,
            audit=self.audit,
            clock=clock,
            budget=budget,
            notifier=notifier,
            requests=self.request_of,
        )
        self.follower = Follower(access)

    @property
    def policy(self) -> PolicyHolder:
        return self.access.policy

    def handle(self, message: Message) -> Reply:
        """The reply to `message`, within the time budget; audited once, whatever happened."""
        trace = Trace(uuid.uuid4().hex[:12], time.monotonic())
        token = logs.request_id.set(trace.request_id)
        subject: list[Subject] = []  # who it was, once known (the abandoned request may not say)
        try:
            try:
                reply, outcome, error = self.budget.run(lambda: self._handle(message, trace, subject))
            except Overrun as e:
                trace = replace(trace)  # as it stood: the abandoned request may still change its own
                reply, outcome, error = self._overrun(trace, e.seconds), "timeout", "TimedOut"
            record = trace.record(
                message, subject[0] if subject else None, at=self._clock(), outcome=outcome, error=error
            )
            self.audit.record(record)
            for observe in self.observers:
                observe(record)
            # The reference helps find a failure in the logs; a typo needs none.
            reference = trace.request_id if outcome in ("failed", "error", "timeout") else None
            return replace(bounded(reply), request_id=reference)
        finally:
            logs.request_id.reset(token)

    def follow(
        self, reply: Reply, show: Callable[[Progress], None] = lambda _: None, *, message: Message
    ) -> Progress | None:
        """Follow the rollout a reply started (if any), as the person whose message started it."""
        if reply.follow is None:
            return None
        return self.follower.follow(reply, show, self.access.subject(message))

    def stop_following(self, reason: str) -> None:
        self.follower.stop(reason)

    # --- the steps ----------------------------------------------------------------------------

    def _handle(self, message: Message, trace: Trace, known: list[Subject]) -> tuple[Reply, Outcome, str | None]:
        try:
            subject = self.access.subject(message)
            known.append(subject)
            reply = self._run(message, subject, trace)
            return reply, _outcome(reply, trace), None
        except ParseError as e:
            return _error(e), "invalid", type(e).__name__
        except PolicyDenied as e:
            return _error(e), "denied", None
        except PilothouseError as e:  # AuditUnavailable among them: a change refused, nothing done
            return _error(e), "failed", type(e).__name__
        except Exception:
            log.exception("request %s failed", trace.request_id)
            reply = error_reply(
                "Something went wrong inside Pilothouse; nothing was changed.",
                f"reference: {trace.request_id}",
            )
            return reply, "error", "internal"

    def _overrun(self, trace: Trace, seconds: float) -> Reply:
        """The honest answer to a request stopped for taking too long: what is known of it, and,
        for a change, that what it had already sent may still take effect."""
        log.warning(
            "request %s (%s) ran past its %g s budget and was stopped", trace.request_id, trace.command, seconds
        )
        stopped = TimedOut(seconds)
        what = f"`{trace.command}` took" if trace.command else "This took"
        message = stopped.message.replace("This took", what, 1)
        spec = self.registry.find(trace.command) if trace.command else None
        hint: str | None = stopped.hint
        if spec is not None and spec.access == "write":
            hint = (
                "Nothing more is done for it, but a change it had already sent to the cluster may still take "
                "effect: `status` or `history NAME` shows where things stand."
            )
        return error_reply(message, hint)

    def _run(self, message: Message, subject: Subject, trace: Trace) -> Reply:
        conversation = self.conversations.get(message)
        try:
            parsed = self.resolver.parse(message, conversation)
        except MissingArguments as missing:
            return self._ask(message, subject, conversation, missing, trace)
        if isinstance(parsed.action, Answer):
            return self._answer(message, subject, trace, conversation, yes=parsed.action.yes)
        parsed = self.resolver.with_defaults(message, parsed, conversation.topic)
        reply = self._decide_and_run(message, subject, parsed, trace)
        self.resolver.remember(message, conversation, parsed, trace.cluster, trace.namespace)
        return reply

    def _decide_and_run(self, message: Message, subject: Subject, parsed: Parsed, trace: Trace) -> Reply:
        trace.command = parsed.action.command_name(parsed.spec.name)  # `get statefulsets` for `get sts`
        trace.args = parsed.action.model_dump(exclude_none=True, exclude_defaults=True)
        request = self.request_of(parsed, message)
        decision = self.access.authorise(subject, request)
        if decision.outcome == "needs_approval" and decision.approval is not None and request.access == "write":
            trace.decided(request, decision)
            return self.approvals.request(message, subject, parsed, request, decision.approval, trace)
        enforce(self.access, request, decision, trace)  # recorded, or refused
        if isinstance(parsed.action, Use):
            return self.resolver.use(message, parsed.action)
        if isinstance(parsed.action, APPROVAL_ACTIONS):
            return self._on_request(message, subject, parsed.action, trace)
        if request.destructive:  # the simplest approval: the requester's own `yes`
            return self.approvals.request(message, subject, parsed, request, Approval.confirmation(subject.id), trace)
        reply = self.dispatcher.run(message, subject, parsed, request, trace)
        if request.break_glass:
            note = Notice("info", "No change freeze is on for this: `--break-glass` was not needed.")
            reply = replace(reply, blocks=(*reply.blocks, note))
        return reply

    def request_of(self, parsed: Parsed, message: Message) -> Request:
        """What the policy is asked about this command now: its scope, the moment (for freezes)
        and the deploy lock on its workload (one store read). The approval desk asks the same."""
        request = request_for(parsed, message, self.clusters, at=self._clock())
        named = workload(parsed)
        if request.access != "write" or named is None or request.cluster is None or request.namespace is None:
            return request
        return replace(request, lock=self.locks.held(request.cluster, request.namespace, *named))

    def _on_request(self, message: Message, subject: Subject, action: object, trace: Trace) -> Reply:
        desk = self.approvals
        if isinstance(action, ListApprovals):
            return desk.listing(message, subject, action)
        if isinstance(action, ShowRequest):
            return desk.show(message, subject, action, trace)
        if isinstance(action, ApproveRequest | DenyRequest):
            return desk.vote(message, subject, action, trace, approve=isinstance(action, ApproveRequest))
        if isinstance(action, WithdrawVote):
            return desk.withdraw(message, subject, action, trace)
        assert isinstance(action, CancelRequest)
        return desk.cancel(message, subject, action)

    def _ask(
        self, message: Message, subject: Subject, conversation: Conversation, missing: MissingArguments, trace: Trace
    ) -> Reply:
        """A command that lacks arguments is asked about only if the person may run it somewhere."""
        found = self.registry.lookup(missing.command.split())
        trace.command, trace.asked = (found[0].name if found else missing.command.split()[0]), True
        if found is not None:
            spec = found[0]
            authorise(self.access, subject, Request(spec.name, spec.access, message.channel, anywhere=True), trace)
        return self.resolver.ask(message, conversation, missing)

    def _answer(
        self, message: Message, subject: Subject, trace: Trace, conversation: Conversation, *, yes: bool
    ) -> Reply:
        """`yes` approves the change waiting for this person's confirmation here (a request of
        its own, decided like any other); `no` cancels it, or drops a question waiting for its answer."""
        trace.command = "yes" if yes else "no"
        authorise(self.access, subject, Request(trace.command, "meta", message.channel), trace)
        answered = self.approvals.confirm(message, subject, trace, yes=yes)
        if answered is not None:
            return answered
        question = conversation.question
        if not yes and question is not None and question.user == message.user:
            self.conversations.save(message, conversation.model_copy(update={"question": None}))
            return Reply((Notice("info", f"Dropped: `{question.command}` was not run."),))
        raise ParseError(
            f"Nothing is waiting for your `{trace.command}` here.",
            hint="A change waits 2 minutes for its confirmation; run the command again.",
        )
