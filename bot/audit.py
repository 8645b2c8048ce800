"""The audit trail: one record per handled message, kept in the shared store.

Records hold the parsed command and its validated arguments, never the raw text, so a
secret pasted into the chat by mistake does not end up in the trail.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from commands.errors import StoreUnavailable
from integrations.store.port import Store

log = logging.getLogger(__name__)

AUDIT_KEY = "audit"
# "asked": a question went back (which container? yes or no? which image?): nothing done yet.
# "unchanged": the command was fine but had nothing to do (already at 3 replicas).
# "timeout": it ran past PILOTHOUSE_REQUEST_BUDGET and was stopped.
Outcome = Literal["ok", "asked", "unchanged", "invalid", "denied", "failed", "error", "timeout"]


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    request_id: str
    user: str
    user_name: str | None = None
    channel: str
    command: str | None
    args: dict[str, Any]
    cluster: str | None
    namespace: str | None
    outcome: Outcome
    rule: str | None = None
    error: str | None = None
    duration_ms: int


class AuditLog:
    def __init__(self, store: Store, *, keep: int = 10_000) -> None:
        self._store = store
        self._keep = keep

    def record(self, entry: AuditRecord) -> None:
        try:
            self._store.append(AUDIT_KEY, entry.model_dump_json(), keep=self._keep)
        except StoreUnavailable as e:
            # The reply still goes out; the operator sees the failure in the logs.
            log.error("audit record %s not stored: %s", entry.request_id, e.message)

    def recent(self, count: int = 20) -> list[AuditRecord]:
        return [AuditRecord.model_validate_json(raw) for raw in self._store.recent(AUDIT_KEY, count)]
