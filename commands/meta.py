"""Commands about Pilothouse itself: help, whoami, clusters."""

from __future__ import annotations

from types import MappingProxyType

from pydantic import Field

from commands.limits import NAME_CHARS
from commands.registry import Action, CommandSpec, Param
from commands.values import DnsLabel


class Help(Action):
    topic: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS)


class WhoAmI(Action):
    """`--cluster`: also what Kubernetes RBAC lets the identity Pilothouse uses for you do there."""

    cluster: str | None = Field(default=None, min_length=1, max_length=253)
    namespace: DnsLabel | None = None


class ListClusters(Action):
    pass


class Use(Action):
    """Show or set your defaults: the cluster and namespace used when a command names none."""

    cluster: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS)
    namespace: DnsLabel | None = None
    clear: bool = False


class Answer(Action):
    """`yes` or `no` to the change Pilothouse asked about in this channel."""

    yes: bool


SPECS = (
    CommandSpec(
        words=("help",),
        model=Help,
        family="meta",
        access="meta",
        summary="List the commands you can run here, or explain one",
        params=(Param("topic", "COMMAND", "a command, e.g. `get pods`", rest=True),),
        examples=("help", "help logs"),
    ),
    CommandSpec(
        words=("whoami",),
        model=WhoAmI,
        family="meta",
        access="meta",
        summary="Who you are to Pilothouse, and what you may do here, where; --cluster: what Kubernetes lets you do",
        params=(
            Param("cluster", "CLUSTER", "also ask that cluster what RBAC lets you do", ("--cluster",)),
            Param(
                "namespace", "NAMESPACE", "the namespace to ask about (default: the cluster's)", ("-n", "--namespace")
            ),
        ),
        examples=("whoami", "whoami --cluster prod-eu -n shop"),
    ),
    CommandSpec(
        words=("clusters",),
        model=ListClusters,
        family="meta",
        access="meta",
        summary="The configured clusters: reachable or not, version, default namespace",
        aliases=(("get", "clusters"),),
        examples=("clusters",),
    ),
    CommandSpec(
        words=("yes",),
        aliases=(("y",), ("confirm",)),
        model=Answer,
        fixed=MappingProxyType({"yes": True}),
        family="meta",
        access="meta",
        summary="Go ahead with the change Pilothouse asked you to confirm (within 2 minutes)",
        examples=("yes",),
    ),
    CommandSpec(
        words=("no",),
        aliases=(("n",),),
        model=Answer,
        fixed=MappingProxyType({"yes": False}),
        family="meta",
        access="meta",
        summary="Cancel the change Pilothouse asked you to confirm, or drop a question it asked",
        examples=("no",),
    ),
    CommandSpec(
        words=("use",),
        model=Use,
        family="meta",
        access="meta",
        summary="Show your defaults, or set the cluster and namespace used when a command names none",
        params=(
            Param("cluster", "CLUSTER", "your default cluster", ("--cluster",)),
            Param("namespace", "NAMESPACE", "your default namespace", ("-n", "--namespace")),
            Param("clear", "", "forget your defaults", ("--clear",), switch=True),
        ),
        aliases=(("defaults",),),
        examples=("use", "use --cluster prod-eu -n shop", "use --clear"),
    ),
    CommandSpec(
        words=("use", "cluster"),
        model=Use,
        family="meta",
        access="meta",
        summary="Set your default cluster",
        params=(Param("cluster", "CLUSTER", "your default cluster", required=True),),
        examples=("use cluster prod-eu",),
    ),
    CommandSpec(
        words=("use", "namespace"),
        model=Use,
        family="meta",
        access="meta",
        summary="Set your default namespace",
        params=(Param("namespace", "NAMESPACE", "your default namespace", required=True),),
        aliases=(("use", "ns"),),
        examples=("use namespace shop",),
    ),
)
