"""Commands that change the cluster: deploy, scale, restart, rollback, pause/resume, cordon,
delete pod. Each one previews with a server-side dry run first; destructive ones (scale to 0,
cordon, delete pod) wait for the person to confirm."""

from __future__ import annotations

from pydantic import Field

from commands.limits import REASON_CHARS
from commands.read import CLUSTER, NAMESPACE, InNamespace, OnCluster
from commands.registry import Action, CommandSpec, Param
from commands.values import DnsLabel, DnsSubdomain, ImageReference

MAX_REPLICAS = 1000  # a typo guard; the [policy] issue brings per-rule maximums

REASON = Param("reason", "TEXT", "why: recorded in the change-cause and the audit trail", ("--reason",))


class Recorded(Action):
    """What every change carries: why (for the change-cause and the audit trail), and whether the
    person confirmed it. `confirmed` is never typed: it is set when the person says yes."""

    reason: str | None = Field(default=None, min_length=1, max_length=REASON_CHARS)
    confirmed: bool = False


class Change(InNamespace, Recorded):
    """A change to a Deployment."""

    name: DnsSubdomain


class Scale(Change):
    replicas: int = Field(ge=0, le=MAX_REPLICAS)

    @property
    def destructive(self) -> bool:
        return self.replicas == 0


class Restart(Change):
    pass


class Pause(Change):
    pass


class Resume(Change):
    pass


class NodeChange(OnCluster, Recorded):
    """A change to a node: cluster-wide, so only rules for every namespace cover it."""

    node: DnsSubdomain


class Cordon(NodeChange):
    """Always confirmed first: no new pods may go to the node."""


class Uncordon(NodeChange):
    pass


class DeletePod(InNamespace, Recorded):
    """Delete one pod so its controller starts a fresh one (kubectl delete pod); always confirmed first."""

    pod: DnsSubdomain


class Deploy(Change):
    """Set the image of one container; `container` may be left out when there is only one."""

    image: ImageReference
    container: DnsLabel | None = None


class Rollback(Change):
    to_revision: int | None = Field(default=None, ge=1)


DEPLOYMENT = Param("name", "NAME", "the Deployment", required=True, topic=True)


def _write(
    words: tuple[str, ...],
    model: type[Action],
    summary: str,
    target: Param,
    *examples: str,
    aliases: tuple[tuple[str, ...], ...] = (),
    extra: tuple[Param, ...] = (),
    namespaced: bool = True,
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
        params=(target, *extra, *scope, REASON),
        examples=examples,
    )


SPECS = (
    _write(
        ("deploy",),
        Deploy,
        "Set a Deployment's image (asks which container when it has several)",
        DEPLOYMENT,
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
        "Set a Deployment's replicas (scaling to 0 asks you to confirm)",
        DEPLOYMENT,
        "scale web 5 -n shop",
        "scale web 0 -n shop --reason 'maintenance'",
        aliases=(("scale", "deployment"), ("scale", "deploy")),
        extra=(Param("replicas", "REPLICAS", f"how many pods, 0 to {MAX_REPLICAS}", required=True),),
    ),
    _write(
        ("restart",),
        Restart,
        "Replace a Deployment's pods with a rolling restart (like kubectl rollout restart)",
        DEPLOYMENT,
        "restart web -n shop --reason 'pick up the new config'",
        aliases=(("rollout", "restart"), ("restart", "deployment"), ("restart", "deploy")),
    ),
    _write(
        ("rollback",),
        Rollback,
        "Go back to the previous revision, or to --to-revision N (like kubectl rollout undo)",
        DEPLOYMENT,
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
        "Resume a paused Deployment's rollouts",
        DEPLOYMENT,
        "resume web -n shop",
        aliases=(("rollout", "resume"),),
    ),
    _write(
        ("cordon",),
        Cordon,
        "Mark a node unschedulable: no new pods go there (asks you to confirm)",
        Param("node", "NODE", "the node", required=True),
        "cordon node-2 --reason 'disk errors'",
        namespaced=False,
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
    ),
)
