"""What a v1.20 API server serves, for the simulated cluster's discovery: the groups in the
server's own order, preferred versions first (the contract tests hold this to the real one)."""

from __future__ import annotations

from integrations.cluster.discovery import Json, ResourceType

_READ = ("get", "list", "watch")
_ALL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# (group, version, plural, kind, short names, namespaced, subresources)
_SERVED: tuple[tuple[str, str, str, str, tuple[str, ...], bool, tuple[str, ...]], ...] = (
    ("", "v1", "bindings", "Binding", (), True, ()),
    ("", "v1", "componentstatuses", "ComponentStatus", ("cs",), False, ()),
    ("", "v1", "configmaps", "ConfigMap", ("cm",), True, ()),
    ("", "v1", "endpoints", "Endpoints", ("ep",), True, ()),
    ("", "v1", "events", "Event", ("ev",), True, ()),
    ("", "v1", "limitranges", "LimitRange", ("limits",), True, ()),
    ("", "v1", "namespaces", "Namespace", ("ns",), False, ("finalize", "status")),
    ("", "v1", "nodes", "Node", ("no",), False, ("proxy", "status")),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", ("pvc",), True, ("status",)),
    ("", "v1", "persistentvolumes", "PersistentVolume", ("pv",), False, ("status",)),
    ("", "v1", "pods", "Pod", ("po",), True, ("attach", "binding", "eviction", "exec", "log", "status")),
    ("", "v1", "podtemplates", "PodTemplate", (), True, ()),
    ("", "v1", "replicationcontrollers", "ReplicationController", ("rc",), True, ("scale", "status")),
    ("", "v1", "resourcequotas", "ResourceQuota", ("quota",), True, ("status",)),
    ("", "v1", "secrets", "Secret", (), True, ()),
    ("", "v1", "serviceaccounts", "ServiceAccount", ("sa",), True, ()),
    ("", "v1", "services", "Service", ("svc",), True, ("proxy", "status")),
    ("apiregistration.k8s.io", "v1", "apiservices", "APIService", (), False, ("status",)),
    ("apps", "v1", "controllerrevisions", "ControllerRevision", (), True, ()),
    ("apps", "v1", "daemonsets", "DaemonSet", ("ds",), True, ("status",)),
    ("apps", "v1", "deployments", "Deployment", ("deploy",), True, ("scale", "status")),
    ("apps", "v1", "replicasets", "ReplicaSet", ("rs",), True, ("scale", "status")),
    ("apps", "v1", "statefulsets", "StatefulSet", ("sts",), True, ("scale", "status")),
    ("events.k8s.io", "v1", "events", "Event", ("ev",), True, ()),
    ("events.k8s.io", "v1beta1", "events", "Event", ("ev",), True, ()),
    ("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", ("hpa",), True, ("status",)),
    ("autoscaling", "v2beta1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", ("hpa",), True, ("status",)),
    ("autoscaling", "v2beta2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", ("hpa",), True, ("status",)),
    ("batch", "v1", "jobs", "Job", (), True, ("status",)),
    ("batch", "v1beta1", "cronjobs", "CronJob", ("cj",), True, ("status",)),
    ("networking.k8s.io", "v1", "ingressclasses", "IngressClass", (), False, ()),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", ("ing",), True, ("status",)),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", ("netpol",), True, ()),
    ("networking.k8s.io", "v1beta1", "ingressclasses", "IngressClass", (), False, ()),
    ("networking.k8s.io", "v1beta1", "ingresses", "Ingress", ("ing",), True, ("status",)),
    ("extensions", "v1beta1", "ingresses", "Ingress", ("ing",), True, ("status",)),
    ("policy", "v1beta1", "poddisruptionbudgets", "PodDisruptionBudget", ("pdb",), True, ("status",)),
    ("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", ("psp",), False, ()),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", (), False, ()),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", (), False, ()),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", (), True, ()),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", (), True, ()),
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass", ("sc",), False, ()),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        ("crd", "crds"),
        False,
        ("status",),
    ),
    ("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", ("pc",), False, ()),
    ("coordination.k8s.io", "v1", "leases", "Lease", (), True, ()),
    ("discovery.k8s.io", "v1beta1", "endpointslices", "EndpointSlice", (), True, ()),
)


def built_in() -> list[ResourceType]:
    return [
        ResourceType(
            group=group,
            version=version,
            resource=plural,
            kind=kind,
            singular=kind.lower(),
            short_names=short,
            namespaced=namespaced,
            verbs=_READ if plural == "componentstatuses" else _ALL,
            categories=("all",) if plural in _IN_ALL else (),
            subresources=subresources,
        )
        for group, version, plural, kind, short, namespaced, subresources in _SERVED
    ]


_IN_ALL = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "daemonsets",
        "deployments",
        "replicasets",
        "statefulsets",
        "horizontalpodautoscalers",
        "jobs",
        "cronjobs",
    }
)


def metrics() -> list[ResourceType]:
    """What metrics-server adds (an aggregated API): read-only pod and node usage."""
    return [
        ResourceType("metrics.k8s.io", "v1beta1", plural, kind, kind.lower(), (), plural == "pods", ("get", "list"))
        for plural, kind in (("nodes", "NodeMetrics"), ("pods", "PodMetrics"))
    ]


def custom(crd: Json) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves, its storage version first."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    versions = sorted(
        (v for v in spec.get("versions") or [] if v.get("served", True)), key=lambda v: not v.get("storage")
    )
    return [
        ResourceType(
            group=spec.get("group", ""),
            version=v["name"],
            resource=names.get("plural", ""),
            kind=names.get("kind", ""),
            singular=names.get("singular") or names.get("kind", "").lower(),
            short_names=tuple(names.get("shortNames") or ()),
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            verbs=_ALL,
            categories=tuple(names.get("categories") or ()),
            subresources=tuple(k for k in (v.get("subresources") or {}) if k in ("status", "scale")),
        )
        for v in versions
    ]
