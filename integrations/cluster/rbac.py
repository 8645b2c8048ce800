"""Kubernetes RBAC, evaluated over Role/ClusterRole/RoleBinding/ClusterRoleBinding JSON.

The simulated cluster answers with this what a real API server answers with its RBAC
authorizer; the contract tests (tests/test_rbac_contract.py) seed the same objects into the
real control plane and compare the answers for the demo's identities, request by request.

Covered as the API server does: ClusterRoleBindings grant everywhere; RoleBindings only in
their namespace (a ClusterRole they name is used there only); `*` in verbs, apiGroups and
resources; subresources as `pods/log`; resourceNames; users and groups (every authenticated
identity is also in `system:authenticated`). Not covered: aggregated ClusterRoles,
nonResourceURLs, service-account subjects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from integrations.cluster.model import Json

AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True, slots=True)
class Attributes:
    verb: str
    resource: str  # "pods", or "pods/log" for a subresource
    namespace: str | None
    group: str = ""
    name: str | None = None


def _rule_allows(rule: Json, a: Attributes) -> bool:
    verbs, groups, resources = rule.get("verbs") or [], rule.get("apiGroups") or [], rule.get("resources") or []
    names = rule.get("resourceNames") or []
    return (
        ("*" in verbs or a.verb in verbs)
        and ("*" in groups or a.group in groups)
        and ("*" in resources or a.resource in resources)
        and (not names or (a.name is not None and a.name in names))
    )


def _bound(binding: Json, user: str, groups: frozenset[str]) -> bool:
    for subject in binding.get("subjects") or []:
        kind, name = subject.get("kind"), subject.get("name")
        if (kind == "User" and name == user) or (kind == "Group" and name in groups):
            return True
    return False


class Rbac:
    """The RBAC objects of one cluster, by kind; `objects` are API JSON."""

    def __init__(self, objects: Iterable[Json] = ()) -> None:
        self.cluster_roles: dict[str, Json] = {}
        self.roles: dict[tuple[str, str], Json] = {}
        self.cluster_bindings: list[Json] = []
        self.bindings: list[Json] = []
        for obj in objects:
            self.add(obj)

    def add(self, obj: Json) -> None:
        kind, meta = obj["kind"], obj["metadata"]
        if kind == "ClusterRole":
            self.cluster_roles[meta["name"]] = obj
        elif kind == "Role":
            self.roles[(meta["namespace"], meta["name"])] = obj
        elif kind == "ClusterRoleBinding":
            self.cluster_bindings.append(obj)
        elif kind == "RoleBinding":
            self.bindings.append(obj)
        else:
            raise ValueError(f"not an RBAC object: {kind}")

    def _role(self, binding: Json) -> Json | None:
        ref = binding.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole":
            return self.cluster_roles.get(ref.get("name", ""))
        return self.roles.get((binding["metadata"].get("namespace", ""), ref.get("name", "")))

    def _rules(self, user: str, groups: Iterable[str], namespace: str | None) -> list[Json]:
        everyone = frozenset((*groups, AUTHENTICATED))
        found: list[Json] = []
        bindings = list(self.cluster_bindings)
        if namespace is not None:
            bindings += [b for b in self.bindings if b["metadata"].get("namespace") == namespace]
        for binding in bindings:
            if _bound(binding, user, everyone) and (role := self._role(binding)) is not None:
                found.extend(role.get("rules") or [])
        return found

    def allows(self, user: str, groups: Iterable[str], a: Attributes) -> bool:
        return any(_rule_allows(rule, a) for rule in self._rules(user, groups, a.namespace))

    def rules_review(self, user: str, groups: Iterable[str], namespace: str) -> Json:
        """A SelfSubjectRulesReview's answer, as the API server gives it (resource rules only)."""
        rules = [
            {
                "verbs": list(r.get("verbs") or []),
                "apiGroups": list(r.get("apiGroups") or []),
                "resources": list(r.get("resources") or []),
                **({"resourceNames": list(r["resourceNames"])} if r.get("resourceNames") else {}),
            }
            for r in self._rules(user, groups, namespace)
            if r.get("resources")
        ]
        return {"status": {"resourceRules": rules, "incomplete": False}}
