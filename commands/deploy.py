"""Commands that change the cluster: deploy, scale, restart, rollback, pause/resume, suspend,
run, cordon, delete pod. Each one previews with a server-side dry run first; destructive ones
(scale to 0, cordon, delete pod) wait for the person to confirm.

A target is `NAME` (a Deployment) or `KIND/NAME` with kubectl's names: `sts/db`, `ds/agent`,
`cronjob/report`; each command says which kinds it takes.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from commands.limits import REASON_CHARS
from commands.read import CLUSTER, NAMESPACE, InNamespace, OnCluster
from commands.registry import Action, CommandSpec, Confirm, Param
from commands.values import DnsLabel, DnsSubdomain, ImageReference, WorkloadRef, split_workload

ROLLING = ("deployments", "statefulsets", "daemonsets")
_NAMES = {
    "deployments": "Deployments",
    "statefulsets": "StatefulSets",
    "daemonsets": "DaemonSets",
    "cronjobs": "CronJobs",
}

MAX_REPLICAS = 1000  # a typo guard; policy roles set their own, lower limits

REASON = Param("reason", "TEXT", "why: recorded in the change-cause and the audit trail", ("--reason",))
BREAK_GLASS = Param(
    "break_glass",
    "",
    "during a change freeze: ask its break-glass approvers (needs --reason)",
    ("--break-glass",),
    switch=True,
)


class Recorded(Action):
    """What every change carries: why (for the change-cause and the audit trail), and whether
    the person asks to break a change freeze (`--break-glass`, which must say why)."""

    reason: str | None = Field(default=None, min_length=1, max_length=REASON_CHARS)
    break_glass: bool = False

    @model_validator(mode="after")
    def _glass_needs_a_reason(self) -> Recorded:
        if self.break_glass and not self.reason:
            raise ValueError(
                "`--break-glass` needs `--reason TEXT`: say why the freeze must be broken "
                "(the approvers see it, and the audit trail keeps it)"
            )
        return self


class Change(InNamespace, Recorded):
    """A change to a workload: a Deployment, or the kinds the command's KINDS name."""

    name: WorkloadRef
    KINDS: ClassVar[tuple[str, ...]] = ROLLING
    VERB: ClassVar[str] = "change"

    @property
    def target(self) -> tuple[str, str]:
        """(plural, name): ("statefulsets", "db")."""
        return split_workload(self.name)

    @model_validator(mode="after")
    def _kind_allowed(self) -> Change:
        kind, _ = self.target
        if kind not in self.KINDS:
            allowed = ", ".join(_NAMES[k] for k in self.KINDS)
            raise ValueError(f"`{self.VERB}` works on {allowed}, not on {_NAMES.get(kind, kind)}")
        return self


class Scale(Change):
    replicas: int | None = Field(default=None, ge=0, le=MAX_REPLICAS)
    minimum: int | None = Field(default=None, ge=1, le=MAX_REPLICAS)  # --min/--max: the HPA's limits
    maximum: int | None = Field(default=None, ge=1, le=MAX_REPLICAS)
    KINDS: ClassVar[tuple[str, ...]] = ("deployments", "statefulsets")
    VERB: ClassVar[str] = "scale"

    @model_validator(mode="after")
    def _replicas_or_limits(self) -> Scale:
        limits = self.minimum is not None or self.maximum is not None
        if self.replicas is None and not limits:
            raise ValueError("give REPLICAS, or the autoscaler's limits with `--min N --max M`")
        if self.replicas is not None and limits:
            raise ValueError("give either REPLICAS or `--min`/`--max`, not both")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"`--min {self.minimum}` is above `--max {self.maximum}`")
        return self


class Restart(Change):
    VERB: ClassVar[str] = "restart"


class Pause(Change):
    KINDS: ClassVar[tuple[str, ...]] = ("deployments",)
    VERB: ClassVar[str] = "pause"


class Resume(Change):
    """Resume a paused Deployment, or a suspended CronJob (`resume cronjob/NAME`)."""

    KINDS: ClassVar[tuple[str, ...]] = ("deployments", "cronjobs")
    VERB: ClassVar[str] = "resume"


class Suspend(Change):
    KINDS: ClassVar[tuple[str, ...]] = ("cronjobs",)
    VERB: ClassVar[str] = "suspend"


class Run(Change):
    """A Job now from a CronJob's template, as `kubectl create job --from=cronjob/NAME` makes it."""

    KINDS: ClassVar[tuple[str, ...]] = ("cronjobs",)
    VERB: ClassVar[str] = "run"


class NodeChange(OnCluster, Recorded):
    """A change to a node: cluster-wide, so only rules for every namespace cover it."""

    node: DnsSubdomain


class Cordon(NodeChange):
    """No new pods may go to the node."""


class Uncordon(NodeChange):
    pass


class DeletePod(InNamespace, Recorded):
    """Delete one pod so its controller starts a fresh one (kubectl delete pod)."""

    pod: DnsSubdomain


class Deploy(Change):
    """Set the image of one container; `container` may be left out when there is only one."""

    image: ImageReference
    container: DnsLabel | None = None
    VERB: ClassVar[str] = "deploy"


class Rollback(Change):
    to_revision: int | None = Field(default=None, ge=1)
    VERB: ClassVar[str] = "rollback"


DEPLOYMENT = Param("name", "NAME", "the Deployment, or `sts/NAME`, `ds/NAME`", required=True, topic=True)
CRONJOB = Param("name", "cronjob/NAME", "the CronJob", required=True, topic=True)


def _write(
    words: tuple[str, ...],
    model: type[Action],
    summary: str,
    target: Param,
    *examples: str,
    aliases: tuple[tuple[str, ...], ...] = (),
    extra: tuple[Param, ...] = (),
    namespaced: bool = True,
    confirm: Confirm | None = None,
) -> CommandSpec:
    """A command that changes the cluster: its target and arguments, then -n, --cluster, --reason."""
    scope = (NAMESPACE, CLUSTER) if namespaced else (CLUSTER,)
    return CommandSpec(
        words=words,
        aliases=aliases,
        model=model,
        family="deploy",
        access="write",
        summary=summary,
        params=(target, *extra, *scope, REASON, BREAK_GLASS),
        examples=examples,
        confirm=confirm,
    )


def _to_zero(action: Scale) -> bool:
    return action.replicas == 0


SPECS = (
    _write(
        ("deploy",),
        Deploy,
        "Set a workload's image (asks which container when it has several), then follow the rollout",
        DEPLOYMENT,
        "deploy sts/db postgres:16.4",
        "deploy web nginx:1.26.0 -n shop --reason 'CVE fix'",
        "deploy api ghcr.io/acme/api:3.5.0 -c api",
        aliases=(("set", "image"),),
        extra=(
            Param("image", "IMAGE", "registry/name:tag or @sha256:digest", required=True),
            Param("container", "CONTAINER", "which container", ("-c", "--container")),
        ),
    ),
    _write(
        ("scale",),
        Scale,
        "Set replicas of a Deployment or StatefulSet (0 asks you to confirm), or its HPA's --min/--max",
        DEPLOYMENT,
        "scale web 5 -n shop",
        "scale sts/db 3",
        "scale api --min 2 --max 8 -n payments",
        aliases=(("scale", "deployment"), ("scale", "deploy")),
        extra=(
            Param(
                "replicas",
                "REPLICAS",
                f"how many pods, 0 to {MAX_REPLICAS}",
                required=True,
                unless=("minimum", "maximum"),
            ),
            Param("minimum", "N", "the HorizontalPodAutoscaler's minReplicas", ("--min",)),
            Param("maximum", "M", "the HorizontalPodAutoscaler's maxReplicas", ("--max",)),
        ),
        confirm=Confirm("scaling to 0 stops every pod", when=_to_zero),
    ),
    _write(
        ("restart",),
        Restart,
        "Replace a workload's pods with a rolling restart (like kubectl rollout restart)",
        DEPLOYMENT,
        "restart web -n shop --reason 'pick up the new config'",
        "restart ds/node-agent",
        aliases=(("rollout", "restart"), ("restart", "deployment"), ("restart", "deploy")),
    ),
    _write(
        ("rollback",),
        Rollback,
        "Go back to the previous revision, or to --to-revision N (like kubectl rollout undo)",
        DEPLOYMENT,
        "rollback sts/db",
        "rollback web -n shop",
        "rollback web --to-revision 1 --reason 'bad release'",
        aliases=(("rollout", "undo"), ("undo",)),
        extra=(Param("to_revision", "N", "the revision to restore (see `history`)", ("--to-revision",)),),
    ),
    _write(
        ("pause",),
        Pause,
        "Pause a Deployment's rollouts: template changes wait until `resume`",
        DEPLOYMENT,
        "pause web -n shop",
        aliases=(("rollout", "pause"),),
    ),
    _write(
        ("resume",),
        Resume,
        "Resume a paused Deployment's rollouts, or a suspended CronJob's schedule",
        Param("name", "NAME", "the Deployment, or `cronjob/NAME`", required=True, topic=True),
        "resume web -n shop",
        "resume cronjob/nightly-report",
        aliases=(("rollout", "resume"),),
    ),
    _write(
        ("suspend",),
        Suspend,
        "Suspend a CronJob: no new Jobs start until `resume cronjob/NAME` (running ones go on)",
        CRONJOB,
        "suspend cronjob/nightly-report --reason 'report DB migration'",
    ),
    _write(
        ("run",),
        Run,
        "Run a CronJob now, as a Job from its template, and follow it to completion or failure",
        CRONJOB,
        "run cronjob/nightly-report",
        aliases=(("create", "job"),),
    ),
    _write(
        ("cordon",),
        Cordon,
        "Mark a node unschedulable: no new pods go there (asks you to confirm)",
        Param("node", "NODE", "the node", required=True),
        "cordon node-2 --reason 'disk errors'",
        namespaced=False,
        confirm=Confirm("no new pods will be scheduled on the node"),
    ),
    _write(
        ("uncordon",),
        Uncordon,
        "Let new pods be scheduled on a node again",
        Param("node", "NODE", "the node", required=True),
        "uncordon node-2",
        namespaced=False,
    ),
    _write(
        ("delete", "pod"),
        DeletePod,
        "Delete one pod so its controller starts a fresh one (asks you to confirm)",
        Param("pod", "POD", "the pod", required=True),
        "delete pod checkout-7d9f8b6c5d-x2x9q -n shop",
        aliases=(("delete", "po"), ("delete", "pods")),
        confirm=Confirm("the pod stops; only a controller brings a new one"),
    ),
)
