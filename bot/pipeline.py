"""The pipeline: (who, where, text) → parse → policy → handler → reply, audited.

Adapters (shell, Slack) call `Pipeline.handle` and render the reply; nothing here knows
which chat a message came from.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot import logs
from bot.audit import AuditLog, AuditRecord, Outcome
from bot.budget import Budget, Overrun
from bot.confirmations import Confirmations
from bot.conversation import QUESTION_SECONDS, Conversation, Conversations, Question, Topic
from bot.defaults import Defaults, DefaultsStore
from bot.handlers import HANDLERS, Context, rollout_view
from bot.message import Message
from bot.policy import Policy, Request
from commands.errors import MissingArguments, ParseError, PilothouseError, PolicyDenied, TimedOut, UnknownCommand
from commands.meta import Answer, Use
from commands.parser import Parsed, parse
from commands.read import GetResources, InNamespace, OnCluster
from commands.registry import Registry
from commands.replies import Fields, Heading, Notice, Paragraph, Reply, bounded, error_reply
from integrations.cluster.clusters import Clusters
from integrations.cluster.progress import RolloutState
from integrations.cluster.tracking import RolloutTracker
from integrations.redact import redact_text
from integrations.store.port import Store

log = logging.getLogger(__name__)

__all__ = ["Message", "Pipeline", "Progress"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a followed rollout stands, and the whole message that shows it."""

    state: RolloutState
    reply: Reply


@dataclass(slots=True)
class _Trace:
    """What the audit record will say, filled in as the message moves along."""

    request_id: str
    started: float
    command: str | None = None
    args: dict[str, object] | None = None
    cluster: str | None = None
    namespace: str | None = None
    rule: str | None = None
    asked: bool = False  # the command lacked arguments and a question went back


def _about(parsed: Parsed) -> str | None:
    """The Deployment a command names, where a conversation's topic could have named it."""
    param = parsed.spec.topic
    value = getattr(parsed.action, param.name, None) if param is not None else parsed.action.about()
    return value if isinstance(value, str) else None


def _from_topic(message: Message, parsed: Parsed, topic: Topic | None) -> Parsed:
    """The topic's cluster and namespace, in a thread or for the topic's own Deployment."""
    action = parsed.action
    if topic is None or not isinstance(action, OnCluster) or action.cluster not in (None, topic.cluster):
        return parsed
    if message.thread is None and _about(parsed) != topic.deployment:
        return parsed
    inherited = {"cluster": topic.cluster}
    if isinstance(action, InNamespace) and action.namespace is None:
        inherited["namespace"] = topic.namespace
    return Parsed(parsed.spec, action.model_copy(update=inherited))


def _error(error: PilothouseError) -> Reply:
    """An error as the person sees it: a library's message it quotes may hold a URL's password."""
    return error_reply(redact_text(error.message), redact_text(error.hint) if error.hint else None)


def _outcome(reply: Reply, trace: _Trace) -> Outcome:
    if trace.asked or reply.awaiting is not None or reply.effect == "asked":
        return "asked"
    return "unchanged" if reply.effect == "nothing" else "ok"


class Pipeline:
    def __init__(
        self,
        *,
        registry: Registry,
        policy: Policy,
        clusters: Clusters,
        store: Store,
        observers: Sequence[Callable[[AuditRecord], None]] = (),
        channel_clusters: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: float = 30.0,
    ) -> None:
        """`budget`: seconds one message may take before it is stopped (PILOTHOUSE_REQUEST_BUDGET)."""
        self.registry = registry
        self.budget = Budget(budget)
        self.policy = policy
        self.clusters = clusters
        self.store = store
        self.audit = AuditLog(store)
        self.confirmations = Confirmations(store)
        self.conversations = Conversations(store)
        self.defaults = DefaultsStore(store)
        # A channel's own cluster (e.g. #shop-prod → prod-eu); a person's `use` and --cluster win.
        self.channel_clusters = dict(channel_clusters or {})
        for cluster in self.channel_clusters.values():
            clusters.get(cluster)  # UnknownCluster at start-up, not on the first message
        self.observers = tuple(observers)  # e.g. metrics: each sees every audit record
        self._following: set[RolloutTracker] = set()
        self._lock = threading.Lock()
        self._clock = clock

    def handle(self, message: Message) -> Reply:
        """The reply to `message`, within the time budget; audited once, whatever happened."""
        trace = _Trace(uuid.uuid4().hex[:12], time.monotonic())
        token = logs.request_id.set(trace.request_id)
        try:
            try:
                reply, outcome, error = self.budget.run(lambda: self._handle(message, trace))
            except Overrun as e:
                trace = replace(trace)  # as it stood: the abandoned request may still change its own
                reply, outcome, error = self._overrun(trace, e.seconds), "timeout", "TimedOut"
            self._audit(message, trace, outcome, error)
            # The reference helps find a failure in the logs; a typo needs none.
            reference = trace.request_id if outcome in ("failed", "error", "timeout") else None
            return replace(bounded(reply), request_id=reference)
        finally:
            logs.request_id.reset(token)

    def _handle(self, message: Message, trace: _Trace) -> tuple[Reply, Outcome, str | None]:
        try:
            reply = self._run(message, trace)
            return reply, _outcome(reply, trace), None
        except ParseError as e:
            return _error(e), "invalid", type(e).__name__
        except PolicyDenied as e:
            return _error(e), "denied", None
        except PilothouseError as e:
            return _error(e), "failed", type(e).__name__
        except Exception:
            log.exception("request %s failed", trace.request_id)
            reply = error_reply(
                "Something went wrong inside Pilothouse; nothing was changed.",
                f"reference: {trace.request_id}",
            )
            return reply, "error", "internal"

    def _overrun(self, trace: _Trace, seconds: float) -> Reply:
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

    def follow(self, reply: Reply, show: Callable[[Progress], None] = lambda _: None) -> Progress | None:
        """Follow the rollout a reply started (if any): `show` each state, return the last."""
        if reply.follow is None:
            return None
        target = reply.follow
        tracker = RolloutTracker(self.clusters.get(target.cluster), target.namespace, target.name, target.resource)

        def report(state: RolloutState) -> None:
            if not state.done:
                show(Progress(state, rollout_view.tracked(reply, state)))

        with self._lock:
            self._following.add(tracker)
        try:
            final = tracker.follow(report)
        finally:
            with self._lock:
                self._following.discard(tracker)
        log.info(
            "rollout of %s/%s on %s: %s after %.1f s%s",
            target.namespace,
            target.name,
            target.cluster,
            final.phase,
            final.elapsed,
            f" ({final.reason})" if final.reason else "",
        )
        return Progress(final, rollout_view.tracked(reply, final))

    def stop_following(self, reason: str) -> None:
        """End every rollout being followed now: each reports where it stood, and why it stopped."""
        with self._lock:
            following = list(self._following)
        for tracker in following:
            tracker.stop(reason)

    def _run(self, message: Message, trace: _Trace) -> Reply:
        conversation = self.conversations.get(message)
        try:
            parsed = self._parse(message, conversation)
        except MissingArguments as missing:
            return self._ask(message, conversation, missing, trace)
        if isinstance(parsed.action, Answer):
            return self._answer(message, trace, conversation, yes=parsed.action.yes)
        if isinstance(parsed.action, Use):
            trace.command = parsed.spec.name
            return self._use(message, parsed.action)
        reply = self._dispatch(message, self._with_defaults(message, parsed, conversation.topic), trace)
        self._remember(message, conversation, parsed, trace)
        return reply

    def _parse(self, message: Message, conversation: Conversation) -> Parsed:
        topic = conversation.topic.deployment if conversation.topic else None
        try:
            return parse(message.text, self.registry, topic=topic)
        except UnknownCommand:
            question = conversation.question
            if question is None or question.user != message.user or question.expires < self._clock().timestamp():
                raise
        # Not a command: the answer to the question asked here, which it completes.
        self.conversations.save(message, conversation.model_copy(update={"question": None}))
        return parse(f"{question.command} {message.text}", self.registry, topic=topic)

    def _ask(self, message: Message, conversation: Conversation, missing: MissingArguments, trace: _Trace) -> Reply:
        """Ask for what a command lacks; the person's next message here completes it."""
        trace.command, trace.asked = missing.command.split()[0], True
        expires = self._clock().timestamp() + QUESTION_SECONDS
        question = Question(user=message.user, command=missing.command, missing=missing.missing, expires=expires)
        self.conversations.save(message, conversation.model_copy(update={"question": question}))
        wanted = " and ".join(f"`{m}`" for m in missing.missing)
        return Reply(
            (
                Notice("info", missing.message),
                Paragraph(f"Reply with {wanted} to run `{missing.command} {' '.join(missing.missing)}`, or `no`."),
                Paragraph(f"Usage: `{missing.usage}`"),
            )
        )

    def _remember(self, message: Message, conversation: Conversation, parsed: Parsed, trace: _Trace) -> None:
        """A command about a Deployment makes it the conversation's topic; any command ends a question."""
        topic = conversation.topic
        name = _about(parsed)
        if name is not None and trace.cluster and trace.namespace:
            topic = Topic(cluster=trace.cluster, namespace=trace.namespace, deployment=name)
        if topic != conversation.topic or conversation.question is not None:
            self.conversations.save(message, Conversation(topic=topic))

    def _with_defaults(self, message: Message, parsed: Parsed, topic: Topic | None = None) -> Parsed:
        """Fill in the cluster and namespace where the command names none: the conversation's
        (in a thread, or for its own Deployment), else the person's defaults, else the channel's."""
        if not isinstance(parsed.action, OnCluster):
            return parsed
        parsed = _from_topic(message, parsed, topic)
        action = parsed.action
        assert isinstance(action, OnCluster)
        defaults = self.defaults.get(message.user)
        update: dict[str, str] = {}
        if action.cluster is None:
            cluster = defaults.cluster or self.channel_clusters.get(message.channel)
            if cluster is not None:
                update["cluster"] = cluster
        everywhere = isinstance(action, GetResources) and action.all_namespaces
        if isinstance(action, InNamespace) and action.namespace is None and not everywhere and defaults.namespace:
            update["namespace"] = defaults.namespace
        return Parsed(parsed.spec, action.model_copy(update=update)) if update else parsed

    def _use(self, message: Message, action: Use) -> Reply:
        if action.clear:
            self.defaults.clear(message.user)
            return Reply((Notice("ok", "Your defaults are cleared: each cluster's own default applies."),))
        current = self.defaults.get(message.user)
        if action.cluster is not None or action.namespace is not None:
            if action.cluster is not None:
                self.clusters.get(action.cluster)  # UnknownCluster, listing the known ones
            current = Defaults(action.cluster or current.cluster, action.namespace or current.namespace)
            self.defaults.set(message.user, current)
        here = self.channel_clusters.get(message.channel)
        fallback = f"{here} (this channel's)" if here else f"{self.clusters.default} (the default)"
        cluster = current.cluster or fallback
        namespace = current.namespace or "the cluster's default"
        return Reply((Heading("Your defaults"), Fields((("Cluster", cluster), ("Namespace", namespace)))))

    def _dispatch(self, message: Message, parsed: Parsed, trace: _Trace) -> Reply:
        trace.command = parsed.action.command_name(parsed.spec.name)
        trace.args = parsed.action.model_dump(exclude_none=True, exclude_defaults=True)
        if isinstance(parsed.action, OnCluster):
            self._authorise(message, parsed, trace)
        context = Context(message, self.clusters, self.policy, self.registry, self._clock(), self.store)
        reply = HANDLERS[type(parsed.action)](parsed.action, context)
        if reply.awaiting is not None:
            self.confirmations.wait_for(message.user, message.channel, reply.awaiting)
        return reply

    def _answer(self, message: Message, trace: _Trace, conversation: Conversation, *, yes: bool) -> Reply:
        """`yes` runs the change waiting for this person here, checked by the policy again;
        `no` cancels it, or drops a question waiting for its answer."""
        trace.command = "yes" if yes else "no"
        waiting = self.confirmations.take(message.user, message.channel)
        question = conversation.question
        if waiting is None and not yes and question is not None and question.user == message.user:
            self.conversations.save(message, conversation.model_copy(update={"question": None}))
            return Reply((Notice("info", f"Dropped: `{question.command}` was not run."),))
        if waiting is None:
            raise ParseError(
                f"Nothing is waiting for your `{trace.command}` here.",
                hint="A change waits 2 minutes for its confirmation; run the command again.",
            )
        if not yes:
            return Reply((Notice("info", f"Cancelled: {waiting.summary} was not done."),))
        spec = self.registry.find(waiting.command)
        assert spec is not None, f"unknown command {waiting.command!r} waiting for confirmation"
        action = spec.model.model_validate({**waiting.arguments, "confirmed": True})
        return self._dispatch(message, Parsed(spec, action), trace)

    def _authorise(self, message: Message, parsed: Parsed, trace: _Trace) -> None:
        action = parsed.action
        assert isinstance(action, OnCluster)
        cluster = self.clusters.get(action.cluster)
        trace.cluster = cluster.name
        trace.namespace = action.scope(cluster.default_namespace)
        command = action.command_name(parsed.spec.name)
        request = Request(message.user, message.channel, cluster.name, trace.namespace, command, parsed.spec.access)
        decision = self.policy.decide(request)
        trace.rule = decision.rule
        if not decision.allowed:
            scope = f"in namespace `{trace.namespace}`" if trace.namespace else "cluster-wide"
            raise PolicyDenied(
                f"You may not run `{command}` {scope} on `{cluster.name}` from here.",
                rule=decision.rule,
            )

    def _audit(self, message: Message, trace: _Trace, outcome: Outcome, error: str | None) -> None:
        record = AuditRecord(
            at=self._clock(),
            request_id=trace.request_id,
            user=message.user,
            channel=message.channel,
            command=trace.command,
            args=trace.args or {},
            cluster=trace.cluster,
            namespace=trace.namespace,
            outcome=outcome,
            rule=trace.rule,
            error=error,
            duration_ms=int((time.monotonic() - trace.started) * 1000),
        )
        self.audit.record(record)
        for observe in self.observers:
            observe(record)
