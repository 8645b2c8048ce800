"""Deploy locks: `lock APP`, `unlock APP`, `locks`. A lock keeps a workload for one person: every
change to it by anyone else is refused until they unlock it, it expires, or someone with the
permission `lock --steal` takes it over. APP is a workload as the change commands name it
(`web`, `sts/db`, `ds/agent`, `cronjob/report`)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from commands.deploy import BREAK_GLASS, Recorded
from commands.read import ALL_NAMESPACES, CLUSTER, NAMESPACE, InNamespace
from commands.registry import CommandSpec, Param
from commands.values import WorkloadRef, duration_seconds, split_workload

DEFAULT_SECONDS = 2 * 3600.0
STEAL = "lock --steal"  # the command the policy sees for taking someone else's lock: its own permission


class Locking(InNamespace, Recorded):
    name: WorkloadRef

    @property
    def target(self) -> tuple[str, str]:
        """(plural, name): ("statefulsets", "db")."""
        return split_workload(self.name)


class Lock(Locking):
    duration: str | None = Field(default=None, max_length=32)
    steal: bool = False

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_seconds(value)
        return value

    @property
    def seconds(self) -> float:
        return duration_seconds(self.duration) if self.duration else DEFAULT_SECONDS

    def command_name(self, spec_name: str) -> str:
        return STEAL if self.steal else spec_name


class Unlock(Locking):
    pass


class ListLocks(InNamespace):
    all_namespaces: bool = False

    def scope(self, default_namespace: str) -> str | None:
        return None if self.all_namespaces else super().scope(default_namespace)

    @model_validator(mode="after")
    def _one_scope(self) -> ListLocks:
        if self.all_namespaces and self.namespace:
            raise ValueError("use either `-n NAMESPACE` or `-A`, not both")
        return self


REASON = Param("reason", "TEXT", "why: shown to anyone the lock stops, and kept in the audit trail", ("--reason",))
APP = Param("name", "APP", "the workload: NAME (a Deployment), `sts/NAME`, `ds/NAME`, `cronjob/NAME`", required=True)

SPECS = (
    CommandSpec(
        words=("lock",),
        model=Lock,
        family="locks",
        access="write",
        summary="Keep a workload for yourself: others' changes to it are refused until you unlock it (2h by default)",
        params=(
            APP,
            Param("duration", "DURATION", "how long: 30m, 2h, 1d (default 2h, at most 7d)", ("--for",)),
            REASON,
            Param(
                "steal",
                "",
                "take over someone else's lock (its own permission: `lock --steal`)",
                ("--steal",),
                switch=True,
            ),
            NAMESPACE,
            CLUSTER,
            BREAK_GLASS,
        ),
        examples=(
            "lock web --for 1h --reason 'load test'",
            "lock sts/db -n data --reason 'schema migration'",
            "lock web --steal --reason 'carol is away; hotfix'",
        ),
    ),
    CommandSpec(
        words=("unlock",),
        model=Unlock,
        family="locks",
        access="write",
        summary="Give up your lock on a workload (someone else's: take it over with `lock APP --steal` first)",
        params=(APP, NAMESPACE, CLUSTER, REASON, BREAK_GLASS),
        examples=("unlock web", "unlock sts/db -n data"),
    ),
    CommandSpec(
        words=("locks",),
        model=ListLocks,
        family="locks",
        access="read",
        summary="The deploy locks in a namespace (or every namespace, -A): who holds them, why, since and until when",
        params=(NAMESPACE, ALL_NAMESPACES, CLUSTER),
        examples=("locks", "locks -A", "locks -n data --cluster prod-eu"),
    ),
)
