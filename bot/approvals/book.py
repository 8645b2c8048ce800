"""The approval records in the shared store, changed only through `Store.update`.

Keys: `approval:<id>` holds the record; `approvals:open` the IDs of requests not yet settled
(newest last), so `approvals`, the sweeper and the digest find them without a scan;
`approval:message:<channel>:<ts>` maps a posted view to its request (reactions arrive by
message); `approval:confirm:<channel>:<user>` points at the change waiting for that person's
`yes` there. Records outlive their request by `KEEP_SECONDS`, for `show` and the digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from bot.approvals.record import SETTLED, ApprovalRecord, Refused, new_id
from integrations.store import keys
from integrations.store.port import Change, Store

KEEP_SECONDS = 7 * 86400.0
OPEN_KEY = keys.key("approvals", "open")
SETTLED_KEPT = 500  # settled IDs kept in the index, newest first, for the digest and `approvals --all`


def record_key(approval_id: str) -> str:
    return keys.key("approval", approval_id)


def message_key(channel: str, ts: str) -> str:
    return keys.key("approval", "message", channel, ts)


def confirm_key(channel: str, user: str) -> str:
    return keys.key("approval", "confirm", channel, user)


class ApprovalBook:
    def __init__(self, store: Store) -> None:
        self._store = store

    # --- reading -------------------------------------------------------------------------------

    def get(self, approval_id: str) -> ApprovalRecord | None:
        raw = self._store.get(record_key(approval_id))
        return _parse(raw)

    def index(self) -> list[str]:
        """IDs of requests, oldest first: the open ones and the recently settled."""
        raw = self._store.get(OPEN_KEY)
        return list(json.loads(raw)) if raw else []

    def all(self) -> list[ApprovalRecord]:
        return self.scan()[1]

    def scan(self) -> tuple[list[str], list[ApprovalRecord]]:
        """The index, and the records it names that are still in the store."""
        ids = self.index()
        found = (self.get(i) for i in ids)
        return ids, [r for r in found if r is not None]

    def by_message(self, channel: str, ts: str) -> str | None:
        return self._store.get(message_key(channel, ts))

    def waiting_confirmation(self, channel: str, user: str) -> str | None:
        return self._store.get(confirm_key(channel, user))

    # --- writing: every change is one atomic read-modify-write -----------------------------------

    def create(self, make: Callable[[str], ApprovalRecord]) -> ApprovalRecord:
        """Store a new record under a fresh ID (drawn again on the rare collision) and index it."""
        while True:
            record = make(new_id())
            ttl = _ttl(record)

            def put(current: str | None, record: ApprovalRecord = record, ttl: float = ttl) -> Change[bool]:
                if current is not None:
                    return Change.unchanged(False)
                return Change(True, record.model_dump_json(), ttl)

            if self._store.update(record_key(record.id), put):
                break
        self._store.update(OPEN_KEY, lambda raw: _indexed(raw, record.id))
        if record.requirement.is_confirmation:
            key = confirm_key(record.channel, record.requester)
            self._store.set(key, record.id, ttl=max(1.0, (record.expires - record.created).total_seconds()))
        return record

    def change(
        self, approval_id: str, step: Callable[[ApprovalRecord], ApprovalRecord]
    ) -> tuple[ApprovalRecord, ApprovalRecord]:
        """Apply `step` atomically; (before, after). `step` raises Refused to change nothing."""

        def apply(raw: str | None) -> Change[tuple[ApprovalRecord, ApprovalRecord]]:
            before = _parse(raw)
            if before is None:
                raise missing(approval_id)
            after = step(before)
            if after == before:
                return Change.unchanged((before, after))
            return Change((before, after), after.model_dump_json(), _ttl(after))

        return self._store.update(record_key(approval_id), apply)

    def remember_message(self, record: ApprovalRecord, channel: str, ts: str) -> None:
        self._store.set(message_key(channel, ts), record.id, ttl=_ttl(record))

    def forget_confirmation(self, record: ApprovalRecord) -> None:
        key = confirm_key(record.channel, record.requester)
        self._store.update(key, lambda current: Change(True) if current == record.id else Change.unchanged(False))

    def prune(self, ids: list[str], records: list[ApprovalRecord]) -> None:
        """Drop from the index what was gone from the store, and old settled requests over the
        cap. `ids` and `records`: the index and its records as `scan()` just read them (a
        request indexed since is kept)."""
        found = {r.id: r for r in records}
        gone = set(ids) - set(found)
        settled = [i for i in ids if i in found and found[i].state in SETTLED]
        drop = gone | set(settled[: max(0, len(settled) - SETTLED_KEPT)])
        if not drop:
            return

        def trim(raw: str | None) -> Change[None]:
            kept = [i for i in (json.loads(raw) if raw else []) if i not in drop]
            return Change(None, json.dumps(kept)) if kept else Change(None)

        self._store.update(OPEN_KEY, trim)


def missing(approval_id: str) -> Refused:
    return Refused(f"There is no approval request {approval_id}.", hint="`approvals` lists the open ones.")


def _indexed(raw: str | None, approval_id: str) -> Change[None]:
    ids = json.loads(raw) if raw else []
    ids.append(approval_id)
    return Change(None, json.dumps(ids))


def _ttl(record: ApprovalRecord) -> float:
    """Kept a week past its expiry (or its settling, for a settled one)."""
    base = record.updated if record.state in SETTLED else record.expires
    return max(1.0, (base - record.created).total_seconds()) + KEEP_SECONDS


def _parse(raw: str | None) -> ApprovalRecord | None:
    if raw is None:
        return None
    try:
        return ApprovalRecord.model_validate_json(raw)
    except ValidationError:
        return None
