"""The pipeline: (who, where, text) → parse → policy → handler → reply, audited.

Adapters (shell, Slack) call `Pipeline.handle` and render the reply; nothing here knows
which chat a message came from.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import logs
from bot.audit import AuditLog, AuditRecord, Outcome
from bot.confirmations import Confirmations
from bot.defaults import Defaults, DefaultsStore
from bot.handlers import HANDLERS, Context
from bot.message import Message
from bot.policy import Policy, Request
from commands.errors import ParseError, PilothouseError, PolicyDenied
from commands.meta import Answer, Use
from commands.parser import Parsed, parse
from commands.read import GetResources, InNamespace, OnCluster
from commands.registry import Registry
from commands.replies import Fields, Heading, Notice, Reply, error_reply
from integrations.cluster.clusters import Clusters
from integrations.store.port import Store

log = logging.getLogger(__name__)

__all__ = ["Message", "Pipeline"]


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
    ) -> None:
        self.registry = registry
        self.policy = policy
        self.clusters = clusters
        self.store = store
        self.audit = AuditLog(store)
        self.confirmations = Confirmations(store)
        self.defaults = DefaultsStore(store)
        # A channel's own cluster (e.g. #shop-prod → prod-eu); a person's `use` and --cluster win.
        self.channel_clusters = dict(channel_clusters or {})
        for cluster in self.channel_clusters.values():
            clusters.get(cluster)  # UnknownCluster at start-up, not on the first message
        self.observers = tuple(observers)  # e.g. metrics: each sees every audit record
        self._clock = clock

    def handle(self, message: Message) -> Reply:
        trace = _Trace(uuid.uuid4().hex[:12], time.monotonic())
        token = logs.request_id.set(trace.request_id)
        try:
            return self._handle(message, trace)
        finally:
            logs.request_id.reset(token)

    def _handle(self, message: Message, trace: _Trace) -> Reply:
        try:
            reply = self._run(message, trace)
            outcome: Outcome = "ok"
            error = None
        except ParseError as e:
            reply, outcome, error = error_reply(e.message, e.hint), "invalid", type(e).__name__
        except PolicyDenied as e:
            reply, outcome, error = error_reply(e.message, e.hint), "denied", None
        except PilothouseError as e:
            reply, outcome, error = error_reply(e.message, e.hint), "failed", type(e).__name__
        except Exception:
            log.exception("request %s failed", trace.request_id)
            reply = error_reply(
                "Something went wrong inside Pilothouse; nothing was changed.",
                f"reference: {trace.request_id}",
            )
            outcome, error = "error", "internal"
        self._audit(message, trace, outcome, error)
        # The reference helps find a failure in the logs; a typo needs none.
        reference = trace.request_id if outcome in ("failed", "error") else None
        return Reply(reply.blocks, ok=reply.ok, request_id=reference)

    def _run(self, message: Message, trace: _Trace) -> Reply:
        parsed = parse(message.text, self.registry)
        if isinstance(parsed.action, Answer):
            return self._answer(message, trace, yes=parsed.action.yes)
        if isinstance(parsed.action, Use):
            trace.command = parsed.spec.name
            return self._use(message, parsed.action)
        return self._dispatch(message, self._with_defaults(message, parsed), trace)

    def _with_defaults(self, message: Message, parsed: Parsed) -> Parsed:
        """Fill in the person's default cluster and namespace where the command names none."""
        action = parsed.action
        if not isinstance(action, OnCluster):
            return parsed
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
        trace.command = parsed.spec.name
        trace.args = parsed.action.model_dump(exclude_none=True, exclude_defaults=True)
        if isinstance(parsed.action, OnCluster):
            self._authorise(message, parsed, trace)
        context = Context(message, self.clusters, self.policy, self.registry, self._clock(), self.store)
        reply = HANDLERS[type(parsed.action)](parsed.action, context)
        if reply.awaiting is not None:
            self.confirmations.wait_for(message.user, message.channel, reply.awaiting)
        return reply

    def _answer(self, message: Message, trace: _Trace, *, yes: bool) -> Reply:
        """`yes` runs the change waiting for this person here, checked by the policy again."""
        trace.command = "yes" if yes else "no"
        waiting = self.confirmations.take(message.user, message.channel)
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
        request = Request(
            message.user, message.channel, cluster.name, trace.namespace, parsed.spec.name, parsed.spec.access
        )
        decision = self.policy.decide(request)
        trace.rule = decision.rule
        if not decision.allowed:
            scope = f"in namespace `{trace.namespace}`" if trace.namespace else "cluster-wide"
            raise PolicyDenied(
                f"You may not run `{parsed.spec.name}` {scope} on `{cluster.name}` from here.",
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
