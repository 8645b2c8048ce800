"""The audit trail: a record of every handled message and every decision, on a stream in the
shared store (Redis Streams: `XADD … MAXLEN ~`), and the same record as one JSON log line.

Records hold the parsed command and its validated arguments, never the raw text, and every
string in them is masked for tokens (commands.redact), so a secret pasted into the chat by
mistake does not end up in the trail. People are named by ID, the display name beside it.

**A change is never made without its audit record.** The pipeline records the intent of a
change before the change is attempted; `AuditLog.record` is the one place that decides what a
store failure means: for a change's intent, the change is refused (`AuditUnavailable`); for
anything else (reads, results, denials) the failure is logged and the reply still goes out.

Time queries use the stream's IDs (milliseconds since the epoch), never a scan of the trail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from commands.errors import AuditUnavailable, StoreUnavailable
from commands.redact import mask_value
from integrations.store.port import Store

log = logging.getLogger(__name__)
trail = logging.getLogger("pilothouse.audit")  # one JSON line per record (bot/logs.py)

AUDIT_STREAM = "audit"
PAGE = 500
# "asked": a question went back (which container? yes or no? which image?): nothing done yet.
# "unchanged": the command was fine but had nothing to do (already at 3 replicas).
# "timeout": it ran past PILOTHOUSE_REQUEST_BUDGET and was stopped.
Outcome = Literal["ok", "asked", "unchanged", "invalid", "denied", "failed", "error", "timeout", "expired", "unknown"]
# "intent": written before a change is attempted; "result": what happened.
Phase = Literal["intent", "result"]


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    request_id: str
    phase: Phase = "result"
    user: str
    user_name: str | None = None  # a label only: never an identity
    channel: str
    channel_name: str | None = None
    external: bool = False
    command: str | None
    args: dict[str, Any]
    cluster: str | None
    namespace: str | None
    access: str | None = None
    destructive: bool = False
    decision: str | None = None  # allow, deny or needs_approval
    rule: str | None = None  # the rule or binding that decided
    k8s_identity: str | None = None  # who Kubernetes saw (an impersonated person, or the bot)
    k8s_status: int | None = None  # Kubernetes' status code when it refused or failed
    outcome: Outcome
    error: str | None = None
    duration_ms: int
    id: str | None = None  # the stream ID, set when read back


def stream_id(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def moment(entry_id: str) -> datetime:
    return datetime.fromtimestamp(int(entry_id.split("-", 1)[0]) / 1000, UTC)


class AuditLog:
    def __init__(
        self,
        store: Store,
        *,
        max_entries: int = 100_000,
        retention: timedelta = timedelta(days=90),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._max = max_entries
        self._retention = retention
        self._clock = clock

    def record(self, entry: AuditRecord) -> None:
        """Append to the trail and the log; the one place that decides what a store failure means."""
        entry = entry.model_copy(update={"args": mask_value(entry.args), "error": mask_value(entry.error)})
        raw = entry.model_dump_json(exclude={"id"})
        trail.info("audit %s %s", entry.phase, entry.request_id, extra={"audit": entry.model_dump(mode="json")})
        oldest = stream_id(self._clock() - self._retention)
        try:
            self._store.stream_add(AUDIT_STREAM, raw, max_len=self._max, min_id=oldest)
        except StoreUnavailable as e:
            if entry.phase == "intent":
                raise AuditUnavailable(
                    f"Nothing was changed: the audit trail cannot record `{entry.command}` first ({e.message}).",
                    hint="Changes wait until the state store is back; reads still work.",
                ) from e
            log.error("audit record %s not stored: %s", entry.request_id, e.message)

    def recent(self, count: int, *, phase: Phase | None = "result") -> list[AuditRecord]:
        """The newest `count` records (of one phase: results by default), newest first."""
        found: list[AuditRecord] = []
        for record in self.between(None, None, newest_first=True):
            if phase is None or record.phase == phase:
                found.append(record)
                if len(found) >= count:
                    break
        return found

    def between(
        self, since: datetime | None, until: datetime | None, *, newest_first: bool = False
    ) -> Iterator[AuditRecord]:
        """Every record from `since` to `until` (inclusive), read in pages by stream ID."""
        start = stream_id(since) if since else "-"
        end = stream_id(until) if until else "+"
        while True:
            page = self._store.stream_range(AUDIT_STREAM, start=start, end=end, count=PAGE, newest_first=newest_first)
            for entry_id, raw in page:
                yield AuditRecord.model_validate_json(raw).model_copy(update={"id": entry_id})
            if len(page) < PAGE:
                return
            if newest_first:
                end = f"({page[-1][0]}"
            else:
                start = f"({page[-1][0]}"
