"""Read-only commands, kubectl's words: get, describe, logs, status, history."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from commands import kinds
from commands.limits import NAME_CHARS, shown
from commands.registry import Action, CommandSpec, Param
from commands.values import (
    DnsLabel,
    LabelSelector,
    ObjectName,
    WorkloadRef,
    dns_subdomain,
    split_workload,
)

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


def _kind_and_name(data: Any) -> Any:
    """`get deploy/web` as kubectl takes it: the kind and the name in one word."""
    if isinstance(data, dict) and isinstance(data.get("kind"), str) and "/" in data["kind"]:
        kind, _, name = data["kind"].partition("/")
        if data.get("name"):
            raise ValueError("give either `KIND/NAME` or `KIND NAME`, not both")
        data = {**data, "kind": kind, "name": name}
    return data


class OnKind(InNamespace):
    """A read of any kind the cluster serves, named as kubectl names it (discovery resolves it)."""

    kind: str

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        return _kind_and_name(data)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return kinds.canonical(kinds.kind_word(value))

    @property
    def resource_word(self) -> str:
        return kinds.canonical(self.kind)

    def scope(self, default_namespace: str) -> str | None:
        if kinds.cluster_wide(self.kind):
            return None
        return super().scope(default_namespace)


class GetResources(OnKind):
    name: ObjectName | None = None  # `get deploy web`: just that one
    all_namespaces: bool = False
    selector: LabelSelector | None = None
    output: Literal["wide", "yaml"] | None = None

    def command_name(self, spec_name: str) -> str:
        return f"get {self.resource_word}"

    def about(self) -> str | None:
        short = {"deployments": "", "statefulsets": "sts/", "daemonsets": "ds/", "cronjobs": "cronjob/"}
        prefix = short.get(self.resource_word)
        return f"{prefix}{self.name}" if self.name and prefix is not None else None

    def scope(self, default_namespace: str) -> str | None:
        if self.all_namespaces:
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
        if self.output == "yaml" and not self.name:
            raise ValueError("`-o yaml` shows one object: give its NAME")
        return self


class Describe(OnKind):
    name: ObjectName

    @model_validator(mode="before")
    @classmethod
    def _needs_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and "/" not in str(data.get("kind", "")):
            raise ValueError("say which one: `describe KIND NAME` or `describe KIND/NAME`")
        return data

    def command_name(self, spec_name: str) -> str:
        return f"describe {self.resource_word}"


class Top(InNamespace):
    kind: Literal["pods", "nodes"]
    all_namespaces: bool = False

    def scope(self, default_namespace: str) -> str | None:
        return None if self.kind == "nodes" or self.all_namespaces else super().scope(default_namespace)


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
    """Without `-n`, the whole cluster: cluster-wide for the policy too."""

    def scope(self, default_namespace: str) -> str | None:
        return self.namespace


class History(InNamespace):
    name: WorkloadRef
    KINDS: ClassVar[tuple[str, ...]] = ("deployments", "statefulsets", "daemonsets")

    @model_validator(mode="after")
    def _kinds(self) -> History:
        kind, _ = split_workload(self.name)
        if kind not in self.KINDS:
            raise ValueError(f"`history` is for Deployments, StatefulSets and DaemonSets, not {kind}")
        return self


SPECS = (
    CommandSpec(
        words=("get",),
        model=GetResources,
        family="read",
        summary="List any kind the cluster serves, CRDs too, with kubectl's columns (or one, or its YAML)",
        params=(
            Param(
                "kind", "KIND", "what to list, as kubectl names it: `pods`, `sts`, `hpa`, `certificates`", required=True
            ),
            Param("name", "NAME", "just this one"),
            NAMESPACE,
            ALL_NAMESPACES,
            SELECTOR,
            Param("output", "wide|yaml", "`wide`: more columns; `yaml`: the whole object", ("-o", "--output")),
            CLUSTER,
        ),
        examples=("get pods -n shop", "get sts -A", "get certificates", "get deploy web -o yaml"),
        phrases=tuple(
            f"get {k}" for k in ("pods", "deployments", "nodes", "events", "namespaces", "statefulsets", "jobs")
        ),
    ),
    CommandSpec(
        words=("describe",),
        model=Describe,
        family="read",
        summary="One object's state, conditions, owner and events (Deployments, pods, StatefulSets… in detail)",
        params=(
            Param("kind", "KIND", "its kind, e.g. `deploy`, `pod`, `sts`, `hpa`, `cronjob`", required=True),
            Param("name", "NAME", "which one (or give `KIND/NAME`)"),
            NAMESPACE,
            CLUSTER,
        ),
        examples=("describe deployment web -n shop", "describe sts/db", "describe certificate web-tls"),
    ),
    CommandSpec(
        words=("top", "pods"),
        aliases=(("top", "pod"), ("top", "po")),
        model=Top,
        fixed={"kind": "pods"},
        family="read",
        summary="CPU and memory of pods, from metrics-server",
        params=(NAMESPACE, ALL_NAMESPACES, CLUSTER),
        examples=("top pods -n shop",),
    ),
    CommandSpec(
        words=("top", "nodes"),
        aliases=(("top", "node"), ("top", "no")),
        model=Top,
        fixed={"kind": "nodes"},
        family="read",
        summary="CPU and memory of nodes, from metrics-server",
        params=(CLUSTER,),
        examples=("top nodes",),
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
        summary="Rollout revisions of a Deployment, StatefulSet or DaemonSet, with images and change causes",
        params=(
            Param("name", "NAME", "the Deployment, or `sts/NAME`, `ds/NAME`", required=True, topic=True),
            NAMESPACE,
            CLUSTER,
        ),
        examples=("history web -n shop", "history sts/db"),
    ),
)
