"""What every change to a workload starts from: the workload as it is now (`target`), its
change-cause, and the honest note for kinds
that roll no pods by themselves (OnDelete)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handlers.context import Context
from bot.handlers.describe import fetch
from commands.deploy import (
    Change,
)
from commands.errors import Invalid
from commands.replies import Follow, Notice
from integrations.cluster import resources, workloads
from integrations.cluster.discovery import ResourceType
from integrations.cluster.model import Json
from integrations.cluster.patches import Patch
from integrations.cluster.port import Cluster
from integrations.cluster.workload_model import WorkloadInfo, workload_from

LABELS = {"deployments": "", "statefulsets": "StatefulSet ", "daemonsets": "DaemonSet ", "cronjobs": "CronJob "}


def change_cause(action: Change, ctx: Context, what: str) -> str:
    # By ID, the display name only beside it: anyone can call themselves "root (approved by CISO)".
    cause = f"{what} by {ctx.who} from {ctx.where} via Pilothouse"
    return f"{cause}: {action.reason}" if action.reason else cause


@dataclass(frozen=True, slots=True)
class Target:
    cluster: Cluster
    namespace: str
    kind: str  # "deployments", "statefulsets", "daemonsets", "cronjobs"
    name: str
    resource: ResourceType
    obj: Json

    @property
    def label(self) -> str:
        """How the reply names it: `web`, StatefulSet `db`."""
        return f"{LABELS[self.kind]}`{self.name}`"

    @property
    def ref(self) -> str:
        """How a command names it: `web`, `sts/db`."""
        return {"statefulsets": "sts/", "daemonsets": "ds/", "cronjobs": "cronjob/"}.get(self.kind, "") + self.name

    @property
    def workload(self) -> WorkloadInfo:
        return workload_from(self.kind, self.obj)

    def change(self, patch: Patch | workloads.Build, cause: str | None) -> Json:
        """Dry run first, then for real."""
        return workloads.both(
            lambda dry: workloads.change(
                self.cluster, self.resource, self.namespace, self.name, patch, cause=cause, dry_run=dry
            )
        )

    def follow(self) -> Follow | None:
        if self.kind == "cronjobs":
            return None
        return Follow(self.cluster.name, self.namespace, self.name, self.kind)


def target(action: Change, ctx: Context, *, unless_paused: str | None = None) -> Target:
    """The workload an action changes, as it is now.

    `unless_paused` names the verb to refuse on a paused Deployment, as kubectl refuses it: a
    paused Deployment would not roll, and the change would wait unseen.
    """
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    kind, name = action.target
    obj = fetch(cluster, resources.WORKLOADS[kind], namespace, name)
    target = Target(cluster, namespace, kind, name, resources.require(cluster, resources.WORKLOADS[kind]), obj)
    if unless_paused and kind == "deployments" and target.workload.paused:
        raise Invalid(f"`{name}` is paused: resume it first, then {unless_paused}.", cluster=cluster.name)
    return target


def _on_delete(t: Target) -> Notice | None:
    """StatefulSets and DaemonSets with the OnDelete strategy change no pod by themselves: say so."""
    if t.kind in ("statefulsets", "daemonsets") and t.workload.strategy == "OnDelete":
        return Notice(
            "warning",
            f"{t.label} uses the OnDelete strategy: pods change only when deleted. "
            f"`delete pod POD` replaces one with the new template.",
        )
    return None


def rollout_notice(t: Target, text: str) -> tuple[Notice, Follow | None]:
    """The closing note of a change that rolls pods, and what to follow (nothing for OnDelete)."""
    honest = _on_delete(t)
    if honest is not None:
        return honest, None
    return Notice("ok", text), t.follow()
