"""Who is asking, what the policy says, and as whom the work is done in Kubernetes.

`Access` is what the pipeline, the digests and the CLI hold: it builds the `Subject` of a
message (its groups resolved: file groups, Slack user groups), asks the policy (the one
`authorise`), and hands out cluster views bound to that subject: each view impersonates the
person where impersonation is on, and passes every namespace through the policy's gate.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.message import Message
from bot.policy.engine import Decision, Policy, Request
from bot.policy.explain import refusal
from bot.policy.globs import Glob
from bot.policy.reload import PolicyHolder
from bot.policy.subject import Subject
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster, Identity


class GroupDirectory(Protocol):
    """Members of Slack user groups (S…), cached; the shell has none."""

    def members(self, group: str) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Impersonation:
    """Where impersonation is on, and how Pilothouse names people and groups to Kubernetes."""

    on: Mapping[str, bool] = field(default_factory=dict)  # cluster name → on
    user_prefix: str = "slack:"
    group_prefix: str = "pilothouse:"

    def applies(self, cluster: str) -> bool:
        return self.on.get(cluster, False)

    def identity(self, subject: Subject) -> Identity:
        groups = tuple(self.group_prefix + g for g in sorted(subject.groups))
        return Identity(self.user_prefix + subject.id, groups)


def impersonation_modes(spec: str, clusters: Mapping[str, bool], *, auto: bool) -> dict[str, bool]:
    """`spec`: `auto`, `on`, `off`, or `GLOB=MODE,…` (first match wins, unmatched: auto).
    `clusters`: name → real (auto turns impersonation on for real clusters when `auto`)."""
    rules: list[tuple[Glob, str]] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        pattern, _, mode = part.rpartition("=") if "=" in part else ("*", "=", part)
        mode = mode.strip()
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"PILOTHOUSE_IMPERSONATE: `{part}`: the mode is auto, on or off")
        rules.append((Glob.parse(pattern.strip() or "*"), mode))
    chosen: dict[str, bool] = {}
    for name, real in clusters.items():
        mode = next((m for g, m in rules if g.match(name)), "auto")
        chosen[name] = mode == "on" or (mode == "auto" and auto and real)
    return chosen


class Gate:
    """The policy's say, namespace by namespace, over what one request's views reach. Shared by
    the request's views; counts the namespaces a cluster-wide read left out."""

    def __init__(self, access: Access, subject: Subject, request: Request, *, approved: str | None = None) -> None:
        """`approved`: the approval rule this request runs under (being rehearsed for it, or
        approved under it): a decision that needs exactly that approval lets it through."""
        self._access = access
        self._subject = subject
        self._request = request
        self._approved = approved
        self._lock = threading.Lock()
        self._decided: dict[tuple[str | None, str], Decision] = {}
        self.hidden: set[tuple[str, str]] = set()  # (cluster, namespace)

    def hide(self, cluster: str, namespace: str) -> None:
        with self._lock:
            self.hidden.add((cluster, namespace))

    def on(self, cluster: str) -> ClusterGate:
        return ClusterGate(self, cluster)

    def decide(self, cluster: str, namespace: str) -> Decision:
        key = (cluster, namespace)
        with self._lock:
            found = self._decided.get(key)
        if found is None:
            found = self._access.authorise(self._subject, self.request(cluster, namespace))
            with self._lock:
                self._decided[key] = found
        return found

    def passes(self, decision: Decision) -> bool:
        if decision.allowed:
            return True
        approval = decision.approval
        return decision.outcome == "needs_approval" and approval is not None and approval.rule == self._approved

    @property
    def policy(self) -> Policy:
        return self._access.policy.current

    def request(self, cluster: str, namespace: str) -> Request:
        """The request, for one namespace of one cluster it reaches."""
        return replace(self._request, cluster=cluster, namespace=namespace, whole_cluster=None, anywhere=False)


@dataclass(frozen=True, slots=True)
class ClusterGate:
    gate: Gate
    cluster: str

    def allows(self, namespace: str) -> bool:
        allowed = self.gate.passes(self.gate.decide(self.cluster, namespace))
        if not allowed:
            self.gate.hide(self.cluster, namespace)
        return allowed

    def check(self, namespace: str) -> None:
        decision = self.gate.decide(self.cluster, namespace)
        if not self.gate.passes(decision):
            raise refusal(decision, self.gate.request(self.cluster, namespace), self.gate.policy)


class Access:
    def __init__(
        self,
        policy: PolicyHolder,
        clusters: Clusters,
        *,
        impersonation: Impersonation | None = None,
        groups: GroupDirectory | None = None,
    ) -> None:
        self.policy = policy
        self.clusters = clusters
        self.impersonation = impersonation or Impersonation()
        self.groups = groups

    def subject(self, message: Message) -> Subject:
        policy = self.policy.current
        directory = self.groups

        def in_usergroup(group: str) -> bool:
            return directory is not None and message.user in directory.members(group)

        return Subject(
            message.user,
            message.user_name,
            policy.groups_of(message.user, in_usergroup),
            external=message.external,
            team=message.team,
        )

    def authorise(self, subject: Subject, request: Request) -> Decision:
        return self.policy.authorise(subject, request)

    def identity(self, subject: Subject, cluster: str) -> Identity | None:
        """Whom Kubernetes sees for this subject on `cluster`; None: the cluster's own credentials."""
        if subject.kind != "person" or not self.impersonation.applies(cluster):
            return None
        return self.impersonation.identity(subject)

    def views(self, subject: Subject, gate: Gate, *, as_bot: bool = False) -> Clusters:
        """Every cluster as this subject sees it in one request: impersonated where on (not
        `as_bot`: a scheduled digest reads as Pilothouse itself), within the request's gate."""

        def view(cluster: Cluster) -> Cluster:
            identity = None if as_bot else self.identity(subject, cluster.name)
            return cluster.view(identity, gate.on(cluster.name))

        return Clusters([view(c) for c in self.clusters], self.clusters.default)

    def gate(self, subject: Subject, request: Request, *, approved: str | None = None) -> Gate:
        return Gate(self, subject, request, approved=approved)
