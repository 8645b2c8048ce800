"""The policy file's shape, validated by pydantic: unknown keys and wrong types are errors.

What pydantic cannot see alone (command names against the registry, roles that exist, IDs
that look like IDs, globs) is checked in `bot.policy.load`, which also adds the YAML lines.
"""

from __future__ import annotations

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


class Defaults(_Strict):
    reads_for_everyone: bool = Field(default=True, description="every person may read every cluster")


class PolicyFile(_Strict):
    groups: dict[str, tuple[str, ...]] = {}
    roles: dict[str, RoleSpec] = {}
    bindings: tuple[BindingSpec, ...] = ()
    deny: tuple[DenySpec, ...] = ()
    approvals: tuple[ApprovalSpec, ...] = ()
    defaults: Defaults = Defaults()
