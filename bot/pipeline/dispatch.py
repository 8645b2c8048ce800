"""Step 4: run the command's handler for the person, with clusters seen as that person.

A change's intent is recorded in the audit trail before the handler runs (a store that cannot
take it refuses the change: bot/audit.py decides that). The handler gets the Subject and
cluster views bound to it. A rehearsal runs the same handler with every write a dry run (the
preview an approval is asked for: bot/approvals/rehearsal.py); nothing is audited as a change then.
A cluster-wide read that the policy filtered says how many namespaces it left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.access import Access
from bot.approvals.rehearsal import Rehearsal
from bot.audit import AuditLog
from bot.handlers import HANDLERS, Context
from bot.message import Message
from bot.policy.engine import Request
from bot.policy.subject import Subject
from bot.trace import Trace
from commands.errors import ClusterError
from commands.parser import Parsed
from commands.registry import Registry
from commands.replies import Notice, Reply
from integrations.store.port import Store


class Dispatcher:
    def __init__(
        self,
        *,
        access: Access,
        registry: Registry,
        store: Store,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self.access = access
        self.registry = registry
        self.store = store
        self.audit = audit
        self._clock = clock

    def run(
        self,
        message: Message,
        subject: Subject,
        parsed: Parsed,
        request: Request,
        trace: Trace,
        *,
        rehearsal: Rehearsal | None = None,
        approved: str | None = None,
    ) -> Reply:
        """`approved`: the approval rule the change was approved under (or is rehearsed for)."""
        gate = self.access.gate(subject, request, approved=approved)
        views = self.access.views(subject, gate)
        if request.cluster is not None:
            trace.k8s_identity = views.get(request.cluster).identity
        trace.destructive = parsed.spec.destructive(parsed.action)
        if rehearsal is not None:
            views = rehearsal.clusters(views)
        elif request.access == "write":
            self.audit.record(trace.record(message, subject, at=self._clock(), outcome="ok", phase="intent"))
        context = Context(
            message=message,
            subject=subject,
            clusters=views,
            registry=self.registry,
            now=self._clock(),
            access=self.access,
            store=self.store if rehearsal is None else rehearsal.store(self.store),
        )
        try:
            reply = HANDLERS[type(parsed.action)](parsed.action, context)
        except ClusterError as e:
            trace.k8s_status = e.status
            raise
        return _with_hidden(reply, len(gate.hidden))


def _with_hidden(reply: Reply, hidden: int) -> Reply:
    if not hidden:
        return reply
    text = (
        f"{hidden} namespace{'s' if hidden != 1 else ''} left out: the policy does not let you read "
        f"{'them' if hidden != 1 else 'it'} with this command."
    )
    return replace(reply, blocks=(*reply.blocks, Notice("info", text)))
