"""The digest as data: figures counted from the cluster, ready to render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.handlers.findings import Problem


@dataclass(frozen=True, slots=True)
class Scope:
    cluster: str
    namespace: str | None  # None: every namespace


@dataclass(frozen=True, slots=True)
class PilothouseChange:
    """A change made through Pilothouse, as the audit trail recorded it."""

    at: datetime
    who: str
    what: str  # e.g. "deploy web nginx:1.26.0"
    namespace: str | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """The oldest approval request still waiting."""

    id: str
    since: datetime
    command: str  # as typed: "scale web 5 -n shop"


@dataclass(frozen=True, slots=True)
class Approvals:
    """Approval requests in the digest's scope: waiting now, and expired unanswered in its period."""

    pending: int = 0
    oldest: Waiting | None = None
    expired: int = 0


@dataclass(frozen=True, slots=True)
class Seen:
    """A problem as a snapshot keeps it: enough to name it once it is gone."""

    object: str
    text: str


@dataclass(frozen=True, slots=True)
class Digest:
    scope: Scope
    at: datetime
    since: datetime  # start of the period the events and changes cover
    first: bool  # no earlier digest to compare with
    nodes_ready: int
    nodes_total: int
    pods: tuple[tuple[str, int], ...]  # (bucket, count) in display order
    deployments_available: int
    deployments_total: int
    problems: tuple[Problem, ...]
    crashing: tuple[tuple[str, int, str], ...]  # (pod, restarts, last termination)
    top_restarters: tuple[tuple[str, int, str], ...]  # (pod, restarts, status)
    warnings: tuple[tuple[str, str, int], ...]  # (reason, kind, count) in the period
    changes: tuple[PilothouseChange, ...]
    new: tuple[Seen, ...]
    resolved: tuple[Seen, ...]
    approvals: Approvals = Approvals()
    late: str | None = None  # "scheduled 09:00 Europe/Berlin" when posted after its time
    hidden: int = 0  # namespaces left out: the policy does not let this place see them

    @property
    def healthy(self) -> bool:
        return not self.problems

    def seen(self) -> dict[str, Seen]:
        """What the next digest compares with: each problem by its key."""
        return seen(self.problems, cluster_wide=self.scope.namespace is None)


def seen(problems: tuple[Problem, ...] | list[Problem], *, cluster_wide: bool) -> dict[str, Seen]:
    return {p.key: Seen(p.object(cluster_wide=cluster_wide), p.text) for p in problems}
