"""Commands that change a Deployment: scale, restart. Each one previews with a server-side dry
run first; destructive ones (scale to 0) wait for the person to confirm."""

from __future__ import annotations

from pydantic import Field

from commands.read import CLUSTER, NAMESPACE, InNamespace, OnCluster
from commands.registry import CommandSpec, Param
from commands.values import DnsLabel, DnsSubdomain, ImageReference

MAX_REPLICAS = 1000  # a typo guard; the [policy] issue brings per-rule maximums

REASON = Param("reason", "TEXT", "why: recorded in the change-cause and the audit trail", ("--reason",))


class Change(InNamespace):
    """A change to the cluster. `confirmed` is never typed: it is set when the person says yes."""

    name: DnsSubdomain
    reason: str | None = Field(default=None, min_length=1, max_length=200)
    confirmed: bool = False


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


class NodeChange(OnCluster):
    """A change to a node: cluster-wide, so only rules for every namespace cover it."""

    node: DnsSubdomain
    reason: str | None = Field(default=None, min_length=1, max_length=200)
    confirmed: bool = False


class Cordon(NodeChange):
    """Always confirmed first: no new pods may go to the node."""


class Uncordon(NodeChange):
    pass


class DeletePod(InNamespace):
    """Delete one pod so its controller starts a fresh one (kubectl delete pod); always confirmed first."""

    pod: DnsSubdomain
    reason: str | None = Field(default=None, min_length=1, max_length=200)
    confirmed: bool = False


class Deploy(Change):
    """Set the image of one container; `container` may be left out when there is only one."""

    image: ImageReference
    container: DnsLabel | None = None


class Rollback(Change):
    to_revision: int | None = Field(default=None, ge=1)


SPECS = (
    CommandSpec(
        words=("deploy",),
        aliases=(("set", "image"),),
        model=Deploy,
        family="deploy",
        access="write",
        summary="Set a Deployment's image (asks which container when it has several)",
        params=(
            Param("name", "NAME", "the Deployment", required=True),
            Param("image", "IMAGE", "registry/name:tag or @sha256:digest", required=True),
            Param("container", "CONTAINER", "which container", ("-c", "--container")),
            NAMESPACE,
            CLUSTER,
            REASON,
        ),
        examples=("deploy web nginx:1.26.0 -n shop --reason 'CVE fix'", "deploy api ghcr.io/acme/api:3.5.0 -c api"),
    ),
    CommandSpec(
        words=("scale",),
        aliases=(("scale", "deployment"), ("scale", "deploy")),
        model=Scale,
        family="deploy",
        access="write",
        summary="Set a Deployment's replicas (scaling to 0 asks you to confirm)",
        params=(
            Param("name", "NAME", "the Deployment", required=True),
            Param("replicas", "REPLICAS", f"how many pods, 0 to {MAX_REPLICAS}", required=True),
            NAMESPACE,
            CLUSTER,
            REASON,
        ),
        examples=("scale web 5 -n shop", "scale web 0 -n shop --reason 'maintenance'"),
    ),
    CommandSpec(
        words=("restart",),
        aliases=(("rollout", "restart"), ("restart", "deployment"), ("restart", "deploy")),
        model=Restart,
        family="deploy",
        access="write",
        summary="Replace a Deployment's pods with a rolling restart (like kubectl rollout restart)",
        params=(Param("name", "NAME", "the Deployment", required=True), NAMESPACE, CLUSTER, REASON),
        examples=("restart web -n shop --reason 'pick up the new config'",),
    ),
    CommandSpec(
        words=("rollback",),
        aliases=(("rollout", "undo"), ("undo",)),
        model=Rollback,
        family="deploy",
        access="write",
        summary="Go back to the previous revision, or to --to-revision N (like kubectl rollout undo)",
        params=(
            Param("name", "NAME", "the Deployment", required=True),
            Param("to_revision", "N", "the revision to restore (see `history`)", ("--to-revision",)),
            NAMESPACE,
            CLUSTER,
            REASON,
        ),
        examples=("rollback web -n shop", "rollback web --to-revision 1 --reason 'bad release'"),
    ),
    CommandSpec(
        words=("pause",),
        aliases=(("rollout", "pause"),),
        model=Pause,
        family="deploy",
        access="write",
        summary="Pause a Deployment's rollouts: template changes wait until `resume`",
        params=(Param("name", "NAME", "the Deployment", required=True), NAMESPACE, CLUSTER, REASON),
        examples=("pause web -n shop",),
    ),
    CommandSpec(
        words=("resume",),
        aliases=(("rollout", "resume"),),
        model=Resume,
        family="deploy",
        access="write",
        summary="Resume a paused Deployment's rollouts",
        params=(Param("name", "NAME", "the Deployment", required=True), NAMESPACE, CLUSTER, REASON),
        examples=("resume web -n shop",),
    ),
    CommandSpec(
        words=("cordon",),
        model=Cordon,
        family="deploy",
        access="write",
        summary="Mark a node unschedulable: no new pods go there (asks you to confirm)",
        params=(Param("node", "NODE", "the node", required=True), CLUSTER, REASON),
        examples=("cordon node-2 --reason 'disk errors'",),
    ),
    CommandSpec(
        words=("uncordon",),
        model=Uncordon,
        family="deploy",
        access="write",
        summary="Let new pods be scheduled on a node again",
        params=(Param("node", "NODE", "the node", required=True), CLUSTER, REASON),
        examples=("uncordon node-2",),
    ),
    CommandSpec(
        words=("delete", "pod"),
        aliases=(("delete", "po"), ("delete", "pods")),
        model=DeletePod,
        family="deploy",
        access="write",
        summary="Delete one pod so its controller starts a fresh one (asks you to confirm)",
        params=(Param("pod", "POD", "the pod", required=True), NAMESPACE, CLUSTER, REASON),
        examples=("delete pod checkout-7d9f8b6c5d-x2x9q -n shop",),
    ),
)
