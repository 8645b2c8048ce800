"""Read-only commands, kubectl's words: get, describe, logs, status, history."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from commands.limits import NAME_CHARS, shown
from commands.registry import Action, CommandSpec, Param
from commands.values import DnsLabel, DnsSubdomain, LabelSelector, dns_subdomain

ResourceKind = Literal["pods", "deployments", "nodes", "events", "namespaces"]

NAMESPACE = Param("namespace", "NAMESPACE", "the namespace (default: the cluster's default)", ("-n", "--namespace"))
ALL_NAMESPACES = Param("all_namespaces", "", "every namespace", ("-A", "--all-namespaces"), switch=True)
SELECTOR = Param("selector", "SELECTOR", "label selector, e.g. `app=web`", ("-l", "--selector"))
CLUSTER = Param("cluster", "CLUSTER", "the cluster (default: the default cluster)", ("--cluster",))


class OnCluster(Action):
    """An action on one cluster: the policy checks it against that cluster."""

    cluster: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS)

    def scope(self, default_namespace: str) -> str | None:
        """The namespace this action touches; None when it is cluster-wide."""
        return None


class InNamespace(OnCluster):
    namespace: DnsLabel | None = None

    def scope(self, default_namespace: str) -> str | None:
        return self.namespace or default_namespace


class GetResources(InNamespace):
    kind: ResourceKind
    name: DnsSubdomain | None = None  # `get deploy web`: just that one
    all_namespaces: bool = False
    selector: LabelSelector | None = None

    def scope(self, default_namespace: str) -> str | None:
        if self.all_namespaces or self.kind in ("nodes", "namespaces"):
            return None
        return super().scope(default_namespace)

    @model_validator(mode="after")
    def _one_scope(self) -> GetResources:
        if self.all_namespaces and self.namespace:
            raise ValueError("use either `-n NAMESPACE` or `-A`, not both")
        if self.name and self.selector:
            raise ValueError("give either a NAME or `-l SELECTOR`, not both")
        if self.name and self.all_namespaces:
            raise ValueError("a NAME is looked up in one namespace: use `-n NAMESPACE`, not `-A`")
        return self


class Describe(InNamespace):
    kind: Literal["deployment", "pod"]
    name: DnsSubdomain


LOG_TARGET_KINDS = {"pod": "pod", "po": "pod", "deploy": "deployment", "deployment": "deployment"}


class Logs(InNamespace):
    target: str
    container: DnsLabel | None = None
    tail: int = Field(default=20, ge=1, le=5000)
    previous: bool = False

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        kind, sep, name = value.partition("/")
        if sep and kind.lower() not in LOG_TARGET_KINDS:
            raise ValueError(f"`{shown(kind)}/` is not a log source: use `POD`, `pod/POD` or `deploy/NAME`")
        dns_subdomain(name if sep else value)
        return value

    @property
    def source(self) -> tuple[Literal["pod", "deployment"], str]:
        kind, sep, name = self.target.partition("/")
        if not sep:
            return "pod", self.target
        return ("deployment" if LOG_TARGET_KINDS[kind.lower()] == "deployment" else "pod"), name


class Status(InNamespace):
    pass


class History(InNamespace):
    name: DnsSubdomain


def _get(
    kind: ResourceKind, aliases: tuple[str, ...], summary: str, namespaced: bool, selectable: bool = True
) -> CommandSpec:
    # Events and namespaces carry no labels worth selecting on, so they take no `-l`.
    scope = (NAMESPACE, ALL_NAMESPACES) if namespaced else ()
    one = (Param("name", "NAME", f"just this one of the {kind}", topic=kind == "deployments"),) if selectable else ()
    params = (*one, *scope, *((SELECTOR,) if selectable else ()), CLUSTER)
    example = f"get {kind} -n shop" if namespaced else f"get {kind}"
    return CommandSpec(
        words=("get", kind),
        aliases=tuple(("get", a) for a in aliases),
        model=GetResources,
        fixed={"kind": kind},
        family="read",
        summary=summary,
        params=params,
        examples=(example,),
    )


SPECS = (
    _get("pods", ("po", "pod"), "List pods with status, readiness and restarts", True),
    _get("deployments", ("deploy", "deployment"), "List Deployments and their rollout state", True),
    _get("nodes", ("no", "node"), "List nodes, ready or not", False),
    _get("events", ("ev", "event"), "List recent events, warnings first", True, selectable=False),
    _get("namespaces", ("ns", "namespace"), "List namespaces", False, selectable=False),
    CommandSpec(
        words=("describe", "deployment"),
        aliases=(("describe", "deploy"), ("describe", "deployments")),
        model=Describe,
        fixed={"kind": "deployment"},
        family="read",
        summary="A Deployment's rollout state, pods, conditions and events",
        params=(Param("name", "NAME", "the Deployment", required=True), NAMESPACE, CLUSTER),
        examples=("describe deployment web -n shop",),
    ),
    CommandSpec(
        words=("describe", "pod"),
        aliases=(("describe", "po"), ("describe", "pods")),
        model=Describe,
        fixed={"kind": "pod"},
        family="read",
        summary="A pod's containers, states, restarts, conditions and events",
        params=(Param("name", "NAME", "the pod", required=True), NAMESPACE, CLUSTER),
        examples=("describe pod web-5d9c7b6f4-abcde -n shop",),
    ),
    CommandSpec(
        words=("logs",),
        aliases=(("log",),),
        model=Logs,
        family="read",
        summary="The last lines a pod (or a Deployment's first pod) wrote",
        params=(
            Param("target", "POD|deploy/NAME", "a pod, or `deploy/NAME`", required=True),
            Param("container", "CONTAINER", "which container", ("-c", "--container")),
            Param("tail", "N", "how many lines (default 20, at most 5000)", ("--tail",)),
            Param("previous", "", "the previous, crashed container's lines", ("-p", "--previous"), switch=True),
            NAMESPACE,
            CLUSTER,
        ),
        examples=("logs deploy/web -n shop --tail 5", "logs web-5d9c7b6f4-abcde -c nginx"),
    ),
    CommandSpec(
        words=("status",),
        aliases=(("health",),),
        model=Status,
        family="read",
        summary="One-screen health of a namespace, or of the whole cluster without -n",
        params=(NAMESPACE, CLUSTER),
        examples=("status -n shop", "status"),
    ),
    CommandSpec(
        words=("history",),
        aliases=(("history", "deployment"), ("history", "deploy"), ("rollout", "history")),
        model=History,
        family="read",
        summary="A Deployment's rollout revisions, with images and change causes",
        params=(Param("name", "NAME", "the Deployment", required=True, topic=True), NAMESPACE, CLUSTER),
        examples=("history web -n shop",),
    ),
)
