"""What the audit record of a request says, filled in as the request moves along (step 5 of
the pipeline; the digests use it too)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.audit import AuditRecord, Outcome, Phase
from bot.message import Message
from bot.policy.engine import Decision, Request
from bot.policy.subject import Subject, label


@dataclass(slots=True)
class Trace:
    request_id: str
    started: float
    command: str | None = None
    args: dict[str, Any] | None = None
    cluster: str | None = None
    namespace: str | None = None
    access: str | None = None
    destructive: bool = False
    decision: str | None = None
    rule: str | None = None
    k8s_identity: str | None = None
    k8s_status: int | None = None
    asked: bool = False  # the command lacked arguments and a question went back

    def decided(self, request: Request, decision: Decision) -> None:
        self.cluster, self.namespace, self.access = request.cluster, request.namespace, request.access
        self.decision, self.rule = decision.outcome, decision.rule

    def record(
        self,
        message: Message,
        subject: Subject | None,
        *,
        at: datetime,
        outcome: Outcome,
        phase: Phase = "result",
        error: str | None = None,
    ) -> AuditRecord:
        return AuditRecord(
            at=at,
            request_id=self.request_id,
            phase=phase,
            user=message.user,
            user_name=label(message.user_name),
            channel=message.channel,
            channel_name=label(message.channel_name),
            external=subject.external if subject else message.external,
            command=self.command,
            args=self.args or {},
            cluster=self.cluster,
            namespace=self.namespace,
            access=self.access,
            destructive=self.destructive,
            decision=self.decision,
            rule=self.rule,
            k8s_identity=self.k8s_identity,
            k8s_status=self.k8s_status,
            outcome=outcome,
            error=error,
            duration_ms=int((time.monotonic() - self.started) * 1000),
        )
