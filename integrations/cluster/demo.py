"""The demo: a small, realistic shop, described once as Kubernetes objects.

The simulated cluster builds itself from this seed, and the integration tests apply the very
same seed to a real control plane, so contract tests can hold the two side by side.

Failures are asked for, not faked in the output: a pod template annotated with
`FAILURE_ANNOTATION` (or an image tagged `:crash`, `:broken`, `:oom`) fails the way a
kubelet would report it, both in the simulator and in the tests' fake node agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

Json = dict[str, Any]
Failure = Literal["crash", "broken", "oom"]

FAILURE_ANNOTATION = "demo.pilothouse.dev/fail"
NAMESPACES = ("shop", "payments", "data")
DEFAULT_NAMESPACE = "shop"


def failure_of(pod: Json) -> Failure | None:
    """How a pod should fail, by the demo's rule (annotation first, then image tag)."""
    annotations = pod.get("metadata", {}).get("annotations") or {}
    tags = [c.get("image", "").rsplit(":", 1)[-1] for c in pod.get("spec", {}).get("containers", [])]
    for wanted in (annotations.get(FAILURE_ANNOTATION), *tags):
        if wanted in ("crash", "broken", "oom"):
            return cast(Failure, wanted)
    return None


def _container(name: str, image: str, port: int | None = None) -> Json:
    container: Json = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
    }
    if port:
        container["ports"] = [{"containerPort": port, "protocol": "TCP"}]
    return container


def deployment(
    namespace: str,
    name: str,
    replicas: int,
    containers: list[Json],
    *,
    change_cause: str,
    fail: Failure | None = None,
    node_selector: dict[str, str] | None = None,
) -> Json:
    annotations = {FAILURE_ANNOTATION: fail} if fail else {}
    pod_spec: Json = {"containers": containers}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": name},
            "annotations": {"kubernetes.io/change-cause": change_cause},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "progressDeadlineSeconds": 120,
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": pod_spec,
            },
        },
    }


def _with_credentials(container: Json) -> Json:
    """The payments API reads its database password from a Secret, and one plain setting."""
    container["env"] = [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "api-credentials", "key": "db-password"}}},
    ]
    container["envFrom"] = [{"secretRef": {"name": "stripe"}}]
    return container


def rollouts() -> list[Json]:
    """Deployments in the order they are applied; a name applied twice makes a history."""
    web = [_container("nginx", "nginx:1.25.2", 80)]
    web_new = [_container("nginx", "nginx:1.25.3", 80)]
    api = [
        _with_credentials(_container("api", "ghcr.io/acme/payments-api:3.4.1", 8080)),
        _container("envoy", "envoyproxy/envoy:v1.29.1", 9901),
    ]
    return [
        deployment("shop", "web", 3, web, change_cause="deploy web nginx:1.25.2 by @alice from #shop-ops"),
        deployment(
            "shop", "cart", 2, [_container("cart", "ghcr.io/acme/cart:4.2.0", 8080)], change_cause="initial release"
        ),
        deployment(
            "shop",
            "checkout",
            1,
            [_container("checkout", "ghcr.io/acme/checkout:2.7.1", 8080)],
            change_cause="deploy checkout 2.7.1 by @bob",
            fail="crash",
        ),
        deployment(
            "shop",
            "search",
            1,
            [_container("search", "ghcr.io/acme/search:1.9.0", 9200)],
            change_cause="initial release",
            node_selector={"pool": "highmem"},
        ),
        deployment("payments", "api", 2, api, change_cause="initial release"),
        deployment(
            "payments",
            "worker",
            1,
            [_container("worker", "ghcr.io/acme/payments-worker:3.4.1")],
            change_cause="initial release",
        ),
        deployment(
            "shop",
            "web",
            3,
            web_new,
            change_cause="deploy web nginx:1.25.3 by @alice from #shop-ops: fix CVE-2023-44487",
        ),
    ]


def secrets() -> list[Json]:
    """Secrets with made-up values: Pilothouse must show their names and keys, never these."""
    return [
        _secret("payments", "api-credentials", {"db-password": "demo-Pa55-not-real", "db-user": "payments"}),
        _secret("payments", "stripe", {"STRIPE_API_KEY": "sk_test_demo_0000000000000000"}),
        _secret(
            "shop",
            "web-tls",
            {"tls.crt": "-----BEGIN CERTIFICATE-----\nZGVtbw==\n-----END CERTIFICATE-----\n", "tls.key": "demo-key"},
            kind="kubernetes.io/tls",
        ),
    ]


def _secret(namespace: str, name: str, values: dict[str, str], *, kind: str = "Opaque") -> Json:
    import base64

    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": kind,
        "data": data,
    }


# --- RBAC: what the demo's people may do, as Kubernetes itself would decide it ----------------
# Identities as Pilothouse impersonates them with the default prefixes (slack:, pilothouse:).
DEMO_GROUPS = ("admins", "developers", "deployers", "approvers")
_CORE_READ = [
    "pods",
    "pods/log",
    "events",
    "namespaces",
    "nodes",
    "services",
    "endpoints",
    "configmaps",
    "persistentvolumeclaims",
    "serviceaccounts",
]  # not secrets
_GROUPS_READ = ["apps", "batch", "autoscaling", "policy", "events.k8s.io", "networking.k8s.io", "cert-manager.io"]
_WATCH = ["get", "list", "watch"]


def _cluster_role(name: str, rules: list[Json]) -> Json:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules,
    }


def _binding(name: str, role: str, group: str, namespace: str | None = None) -> Json:
    meta: Json = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"pilothouse:{group}"}],
    }


def rbac() -> list[Json]:
    """admins: everything; developers, deployers and approvers: read everywhere (Secrets not
    included); deployers also change Deployments, delete pods and list Secrets, in `shop` only."""
    read = [
        {"apiGroups": [""], "resources": _CORE_READ, "verbs": _WATCH},
        {"apiGroups": _GROUPS_READ, "resources": ["*"], "verbs": _WATCH},
    ]
    deploy = [
        *read,
        {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "daemonsets"], "verbs": ["patch"]},
        {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["patch"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ["patch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
    ]
    return [
        _cluster_role("pilothouse-demo-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        _cluster_role("pilothouse-demo-read", read),
        _cluster_role("pilothouse-demo-deploy", deploy),
        _binding("pilothouse-demo-admins", "pilothouse-demo-admin", "admins"),
        _binding("pilothouse-demo-developers", "pilothouse-demo-read", "developers"),
        _binding("pilothouse-demo-approvers", "pilothouse-demo-read", "approvers"),
        _binding("pilothouse-demo-deployers-read", "pilothouse-demo-read", "deployers"),
        _binding("pilothouse-demo-deployers", "pilothouse-demo-deploy", "deployers", namespace="shop"),
    ]


def bootstrap_rbac() -> list[Json]:
    """What every API server grants every authenticated identity (bootstrap policy
    `system:basic-user`), so the simulated rules reviews answer as a real cluster's do."""
    return [
        _cluster_role(
            "system:basic-user",
            [
                {
                    "apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    "verbs": ["create"],
                }
            ],
        ),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:basic-user"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:basic-user"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}],
        },
    ]


def nodes() -> list[Json]:
    """node-1 runs everything; node-2 is NotReady (no controller revives it)."""
    return [
        _node("node-1", ready=True),
        _node("node-2", ready=False),
    ]


def _node(name: str, *, ready: bool) -> Json:
    condition = (
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
        if ready
        else {
            "type": "Ready",
            "status": "False",
            "reason": "KubeletNotReady",
            "message": "PLEG is not healthy: pleg was last seen active 3m12s ago",
        }
    )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "pool": "general"}},
        # A node that is not ready carries the taint its lifecycle controller gives it, so
        # DaemonSets leave it out, as on a real cluster.
        "spec": {} if ready else {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
        "status": {
            "conditions": [condition],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.20.2"},
        },
    }


@dataclass(frozen=True, slots=True)
class EventSeed:
    """A Warning event about the first pod of a Deployment (`deployment`), a node, or another object
    (`about`: its kind and name)."""

    namespace: str
    reason: str
    message: str  # may use {pod}
    count: int
    deployment: str | None = None
    node: str | None = None
    about: tuple[str, str] | None = None


def events() -> list[EventSeed]:
    return [
        EventSeed(
            "shop", "BackOff", "Back-off restarting failed container checkout in pod {pod}", 41, deployment="checkout"
        ),
        EventSeed(
            "shop",
            "FailedScheduling",
            "0/2 nodes are available: 1 node(s) didn't match node selector, "
            "1 node(s) had taint {{node.kubernetes.io/not-ready: }}, that the pod didn't tolerate.",
            12,
            deployment="search",
        ),
        EventSeed("default", "NodeNotReady", "Node node-2 status is now: NodeNotReady", 1, node="node-2"),
        EventSeed(
            "payments",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            1,
            about=("Job", REPORT_JOB),
        ),
        # What the HPA controller says with no metrics-server to read from (as on the test cluster).
        EventSeed(
            "payments",
            "FailedGetResourceMetric",
            "unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: "
            "the server could not find the requested resource (get pods.metrics.k8s.io)",
            8,
            about=("HorizontalPodAutoscaler", "api"),
        ),
        EventSeed(
            "payments",
            "FailedComputeMetricsReplicas",
            "invalid metrics (1 invalid out of 1), first error is: failed to get cpu utilization: unable to get "
            "metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find "
            "the requested resource (get pods.metrics.k8s.io)",
            8,
            about=("HorizontalPodAutoscaler", "api"),
        ),
    ]


def event_object(seed: EventSeed, *, pod: str | None, index: int, now: str) -> Json:
    kind, name, namespace = ("Node", seed.node, "") if seed.node else ("Pod", pod, seed.namespace)
    if seed.about:
        (kind, name), namespace = seed.about, seed.namespace
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.demo{index}", "namespace": seed.namespace},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1"},
        "type": "Warning",
        "reason": seed.reason,
        "message": seed.message.format(pod=pod),
        "count": seed.count,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": _source(seed)},
    }


def _source(seed: EventSeed) -> str:
    if seed.about:
        return {"Job": "job-controller"}.get(seed.about[0], "horizontal-pod-autoscaler")
    return "default-scheduler" if seed.deployment == "search" else "kubelet"


_LOGS: dict[str, list[str]] = {
    "nginx": [
        '10.0.0.{n} - - [27/Nov/2026:09:00:{s:02d} +0000] "GET /products/{n} HTTP/1.1" 200 {b} "-" "Mozilla/5.0"',
    ],
    "checkout": [
        "{t} INFO  starting checkout 2.7.1",
        "{t} INFO  connecting to payments at api.payments.svc:8080",
        "{t} ERROR dial tcp 10.0.0.42:8080: connect: connection refused (attempt {n})",
        "{t} FATAL giving up after 5 attempts; exiting with status 1",
    ],
    "api": ["{t} INFO  request id=req-{n:04d} method=POST path=/v1/charges status=201 duration_ms={b}"],
    "envoy": ['[{t}] "POST /v1/charges HTTP/1.1" 201 - 0 {b} 12 11 "-" "checkout/2.7.1"'],
}


def log_lines(namespace: str, pod: str, container: str) -> list[str]:
    """Deterministic log lines for a demo container (the same for every pod of it)."""
    templates = _LOGS.get(container, ["{t} INFO  " + container + " handled job {n} in {b}ms"])
    lines = []
    for i in range(40):
        template = templates[i % len(templates)]
        lines.append(template.format(t=f"2026-11-27T09:00:{i:02d}Z", n=i + 1, s=i, b=100 + (i * 37) % 900))
    return lines


# --- beyond Deployments: a StatefulSet, a DaemonSet, an HPA, a CronJob whose last Job failed,
# a Service, an Ingress and a CRD (cert-manager's Certificate, trimmed) with two objects --------

CERTIFICATES = "certificates.cert-manager.io"
REPORT_JOB = "nightly-report-29401020"  # a scheduled Job's name: the CronJob's, then the minute


def certificate_crd() -> Json:
    ready = '.status.conditions[?(@.type=="Ready")]'
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CERTIFICATES},
        "spec": {
            "group": "cert-manager.io",
            "scope": "Namespaced",
            "names": {
                "plural": "certificates",
                "singular": "certificate",
                "kind": "Certificate",
                "shortNames": ["cert", "certs"],
                "categories": ["cert-manager"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    "additionalPrinterColumns": [
                        {"name": "Ready", "type": "string", "jsonPath": f"{ready}.status"},
                        {"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"},
                        {"name": "Issuer", "type": "string", "jsonPath": ".spec.issuerRef.name", "priority": 1},
                        {"name": "Status", "type": "string", "jsonPath": f"{ready}.message", "priority": 1},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                }
            ],
        },
    }


def _certificate(namespace: str, name: str, host: str, ready: bool, message: str) -> Json:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"secretName": name, "dnsNames": [host], "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": str(ready),
                    "reason": "Ready" if ready else "DoesNotExist",
                    "message": message,
                }
            ]
        },
    }  # fmt: skip


def _pod_template(app: str, containers: list[Json], **spec: object) -> Json:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": containers, **spec}}


def workloads() -> list[Json]:
    """The other kinds, in the order they are applied (the CRD before its objects)."""
    report = _container("report", "ghcr.io/acme/payments-report:3.4.1")
    report_template = _pod_template("nightly-report", [report], restartPolicy="Never")
    report_template["metadata"]["annotations"] = {FAILURE_ANNOTATION: "crash"}
    return [
        certificate_crd(),
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "data", "labels": {"app": "db"}},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": _pod_template("db", [_container("postgres", "postgres:16.3", 5432)]),
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "node-agent", "namespace": "kube-system", "labels": {"app": "node-agent"}},
            "spec": {
                "selector": {"matchLabels": {"app": "node-agent"}},
                "template": _pod_template("node-agent", [_container("agent", "ghcr.io/acme/node-agent:1.4.0")]),
            },
        },
        {
            "apiVersion": "autoscaling/v2beta2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "api", "namespace": "payments"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                "minReplicas": 2,
                "maxReplicas": 5,
                "metrics": [
                    {"type": "Resource",
                     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
                ],
            },
        },
        {
            "apiVersion": "batch/v1beta1",
            "kind": "CronJob",
            "metadata": {"name": "nightly-report", "namespace": "payments"},
            "spec": {
                "schedule": "0 2 * * *",
                "jobTemplate": {"spec": {"backoffLimit": 0, "template": report_template}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "shop", "namespace": "shop"},
            "spec": {
                "rules": [
                    {
                        "host": "shop.example.com",
                        "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]},
                    }
                ]
            },
        },
        _certificate("shop", "web-tls", "shop.example.com", True, "Certificate is up to date and has not expired"),
        _certificate("payments", "api-tls", "api.example.com", False, "Issuing certificate as Secret does not exist"),
    ]  # fmt: skip


def report_job(cronjob: Json) -> Json:
    """The CronJob's last scheduled Job (it fails: the demo's report crashes)."""
    template = cronjob["spec"]["jobTemplate"]
    meta = cronjob["metadata"]
    owner = {"apiVersion": cronjob["apiVersion"], "kind": "CronJob", "name": meta["name"], "controller": True}
    if meta.get("uid"):
        owner["uid"] = meta["uid"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": REPORT_JOB, "namespace": meta["namespace"], "ownerReferences": [owner]},
        "spec": template["spec"],
    }
