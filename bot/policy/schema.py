"""The policy file's shape, validated by pydantic: unknown keys and wrong types are errors.

What pydantic cannot see alone (command names against the registry, roles that exist, IDs
that look like IDs, globs) is checked in `bot.policy.load`, which also adds the YAML lines.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DirectMessages = Literal["none", "read", "all"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limits(_Strict):
    max_replicas: int | None = Field(default=None, ge=0, description="the most replicas `scale` may set")
    images: tuple[str, ...] | None = Field(
        default=None, description="image repositories `deploy` may use, e.g. ghcr.io/acme/*"
    )


class RoleSpec(_Strict):
    description: str | None = None
    owner: str | None = Field(default=None, description="who grants this role (shown in denials)")
    commands: tuple[str, ...] = Field(min_length=1, description="command names or globs, or read/write/audit")
    clusters: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)
    cluster_wide: bool = Field(default=False, description="covers -A and cluster-scoped objects (nodes)")
    limits: Limits = Limits()


class BindingSpec(_Strict):
    name: str = Field(min_length=1, max_length=63)
    subjects: tuple[str, ...] = Field(min_length=1)
    roles: tuple[str, ...] = Field(min_length=1)
    channels: tuple[str, ...] | None = Field(default=None, description="only in these channels (IDs)")
    direct_messages: DirectMessages = "read"


class DenySpec(_Strict):
    name: str = Field(min_length=1, max_length=63)
    reason: str | None = None
    subjects: tuple[str, ...] | None = None  # None: everyone, external people included
    channels: tuple[str, ...] | None = None
    commands: tuple[str, ...] = ("*",)
    clusters: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)


class ApprovalSpec(_Strict):
    """Which requests wait for whose approval, how many, and for how long."""

    name: str = Field(min_length=1, max_length=63)
    commands: tuple[str, ...] = ("write",)
    clusters: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)
    approvers: tuple[str, ...] = Field(min_length=1)
    count: int = Field(default=1, ge=1, le=10, description="approvals needed (distinct people)")
    deny_count: int = Field(default=1, ge=1, le=10, description="denials that refuse the request")
    expires: str = Field(default="1h", description="how long a request waits: 30m, 4h, 2d (at most 7d)")
    self_approval: bool = Field(default=False, description="whether the requester's own vote counts")
    destructive: bool | None = Field(
        default=None, description="only destructive requests (scale to 0, cordon, delete pod): true; none: false"
    )


class Requirement(_Strict):
    """Who must approve, and how many (distinct people), as in an approval rule."""

    approvers: tuple[str, ...] = Field(min_length=1)
    count: int = Field(default=1, ge=1, le=10, description="approvals needed (distinct people)")
    expires: str = Field(default="1h", description="how long a request waits: 30m, 4h, 2d (at most 7d)")


class WindowSpec(_Strict):
    """When a freeze is on: `cron` + `duration` (recurring), or `start` + `end` (a date range);
    both on the clock of `timezone` (IANA, default UTC)."""

    cron: str | None = Field(default=None, description="when each window starts, e.g. `0 16 * * 5` (Fri 16:00)")
    duration: str | None = Field(default=None, description="how long each lasts, e.g. 64h (at most 7d)")
    start: str | date | datetime | None = Field(default=None, description="ISO 8601 with an offset, or a date")
    end: str | date | datetime | None = Field(
        default=None, description="ISO 8601 with an offset, or a date (inclusive)"
    )
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/Berlin")


class FreezeSpec(_Strict):
    """A change freeze: which changes, where, when, and what it does while on."""

    name: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=300, description="shown to everyone the freeze stops")
    commands: tuple[str, ...] | None = Field(default=None, description="default: every change to a cluster")
    clusters: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)
    apps: tuple[str, ...] = Field(default=("*",), description="workload names, e.g. web, checkout-*")
    windows: tuple[WindowSpec, ...] = Field(min_length=1)
    effect: Literal["deny", "approval"] = "deny"
    approvers: tuple[str, ...] | None = Field(default=None, description="effect approval: who approves")
    count: int = Field(default=1, ge=1, le=10, description="effect approval: approvals needed")
    expires: str = Field(default="1h", description="effect approval: how long a request waits")
    break_glass: Requirement | None = Field(default=None, description="effect deny: who may let a change through")


class Defaults(_Strict):
    reads_for_everyone: bool = Field(default=True, description="every person may read every cluster")


class PolicyFile(_Strict):
    groups: dict[str, tuple[str, ...]] = {}
    roles: dict[str, RoleSpec] = {}
    bindings: tuple[BindingSpec, ...] = ()
    deny: tuple[DenySpec, ...] = ()
    approvals: tuple[ApprovalSpec, ...] = ()
    freezes: tuple[FreezeSpec, ...] = ()
    defaults: Defaults = Defaults()
