"""The names people type for kinds, as kubectl takes them. Pure: no discovery here.

The cluster's API discovery is what finally says which resource a word means (CRDs included);
this table only lets the parser and the policy see the canonical plural of the built-in kinds
(`sts` → `statefulsets`) and whether they are cluster-wide, before any request is made. Every
check is linear in the input and bounded by its length first.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.limits import shown

MAX_KIND = 253 + 1 + 63  # resource.version.group at most: a DNS subdomain plus a version label
_KIND_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


@dataclass(frozen=True, slots=True)
class BuiltIn:
    plural: str
    cluster_wide: bool
    names: tuple[str, ...]  # singular, short names and kind, lowercase


_BUILT_IN = (
    BuiltIn("pods", False, ("pod", "po")),
    BuiltIn("services", False, ("service", "svc")),
    BuiltIn("deployments", False, ("deployment", "deploy")),
    BuiltIn("replicasets", False, ("replicaset", "rs")),
    BuiltIn("statefulsets", False, ("statefulset", "sts")),
    BuiltIn("daemonsets", False, ("daemonset", "ds")),
    BuiltIn("jobs", False, ("job",)),
    BuiltIn("cronjobs", False, ("cronjob", "cj")),
    BuiltIn("horizontalpodautoscalers", False, ("horizontalpodautoscaler", "hpa")),
    BuiltIn("ingresses", False, ("ingress", "ing")),
    BuiltIn("configmaps", False, ("configmap", "cm")),
    BuiltIn("secrets", False, ("secret",)),
    BuiltIn("persistentvolumeclaims", False, ("persistentvolumeclaim", "pvc")),
    BuiltIn("serviceaccounts", False, ("serviceaccount", "sa")),
    BuiltIn("endpoints", False, ("endpoint", "ep")),
    BuiltIn("events", False, ("event", "ev")),
    BuiltIn("poddisruptionbudgets", False, ("poddisruptionbudget", "pdb")),
    BuiltIn("networkpolicies", False, ("networkpolicy", "netpol")),
    BuiltIn("controllerrevisions", False, ("controllerrevision",)),
    BuiltIn("roles", False, ("role",)),
    BuiltIn("rolebindings", False, ("rolebinding",)),
    BuiltIn("limitranges", False, ("limitrange", "limits")),
    BuiltIn("resourcequotas", False, ("resourcequota", "quota")),
    BuiltIn("nodes", True, ("node", "no")),
    BuiltIn("namespaces", True, ("namespace", "ns")),
    BuiltIn("persistentvolumes", True, ("persistentvolume", "pv")),
    BuiltIn("storageclasses", True, ("storageclass", "sc")),
    BuiltIn("clusterroles", True, ("clusterrole",)),
    BuiltIn("clusterrolebindings", True, ("clusterrolebinding",)),
    BuiltIn("customresourcedefinitions", True, ("customresourcedefinition", "crd", "crds")),
    BuiltIn("ingressclasses", True, ("ingressclass",)),
    BuiltIn("priorityclasses", True, ("priorityclass", "pc")),
    BuiltIn("apiservices", True, ("apiservice",)),
)
_BY_NAME = {name: b for b in _BUILT_IN for name in (b.plural, *b.names)}
# Kinds whose values are secret: never shown as YAML or described with values ([policy] adds more).
SENSITIVE = frozenset({"secrets"})


def kind_word(value: str) -> str:
    """What a person typed for a kind (`sts`, `StatefulSet`, `certificates.cert-manager.io`), lowercased."""
    if not value or len(value) > MAX_KIND:
        raise ValueError(f"a kind is 1 to {MAX_KIND} characters, e.g. `pods`, `sts` or `certificates.cert-manager.io`")
    word = value.lower()
    if not all(c in _KIND_CHARACTERS for c in word) or word.startswith(".") or word.endswith(".") or ".." in word:
        raise ValueError(
            f"`{shown(value)}` is not a kind: use a resource name as kubectl does, e.g. `pods`, `sts`, "
            "`deployment` or `certificates.cert-manager.io`"
        )
    return word


def built_in(word: str) -> BuiltIn | None:
    """The built-in kind a word names, if it is one (`sts`, `statefulset`, `statefulsets`)."""
    return _BY_NAME.get(word.lower())


def canonical(word: str) -> str:
    """The plural a policy rule names (`get statefulsets`); other words as typed (CRDs: discovery decides)."""
    found = built_in(word)
    return found.plural if found else word.lower()


def cluster_wide(word: str) -> bool:
    found = built_in(word)
    return found is not None and found.cluster_wide
