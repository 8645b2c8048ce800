"""`audit`: the audit trail in chat, for those the policy lets read it (access class `audit`)."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from commands.registry import Action, CommandSpec, Param
from commands.values import duration_seconds

AuditOutcome = Literal[
    "ok", "asked", "unchanged", "invalid", "denied", "failed", "error", "timeout", "expired", "unknown"
]


def moment(value: str, now: datetime) -> datetime:
    """`2h`, `30m`, `7d` (ago), or an ISO 8601 time (UTC unless it says otherwise)."""
    with contextlib.suppress(ValueError):
        return now - timedelta(seconds=duration_seconds(value, at_most=math.inf))
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"`{value}` is not a time: use a duration ago like `2h`, `30m`, `7d`, or `2026-11-27T09:00:00Z`"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time(value: str) -> str:
    moment(value, datetime.now(UTC))
    return value


TimeExpression = Annotated[str, AfterValidator(_time)]


class AuditQuery(Action):
    user: str | None = Field(default=None, min_length=1, max_length=64)
    cluster: str | None = Field(default=None, min_length=1, max_length=253)
    since: TimeExpression = "24h"
    outcome: AuditOutcome | None = None
    limit: int = Field(default=20, ge=1, le=200)


SPECS = (
    CommandSpec(
        words=("audit",),
        model=AuditQuery,
        family="audit",
        access="audit",
        summary="What was asked of Pilothouse, by whom, and what was decided (newest first)",
        params=(
            Param("user", "USER", "only this person (their ID)", ("--user",)),
            Param("cluster", "CLUSTER", "only this cluster", ("--cluster",)),
            Param("since", "WHEN", "from when: `2h`, `7d` ago, or an ISO time (default 24h)", ("--since",)),
            Param("outcome", "OUTCOME", "only ok, denied, failed, invalid, asked, unchanged or error", ("--outcome",)),
            Param("limit", "N", "at most N records (default 20, at most 200)", ("--limit",)),
        ),
        examples=("audit --since 2h", "audit --outcome denied --cluster prod-eu", "audit --user U012AB3CD"),
    ),
)
