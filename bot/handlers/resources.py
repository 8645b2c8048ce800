"""Reading any kind the cluster serves: `get KIND [NAME]` (the server's own table printing),
`get KIND NAME -o yaml`, the generic `describe`, and `top`.

The kind is found by discovery (kubectl's names, CRDs included). Where the name a person typed
is not the canonical one the policy saw (`get cert` for `certificates`, a cluster-wide kind
the parser could not know), the policy is asked again with the resolved name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from bot.handlers import describe as tailored
from bot.handlers.context import Context
from bot.handlers.format import ROW_LIMIT, age, clip, where
from bot.handlers.lookup import require_namespace, suggest_missing
from bot.handlers.tables import fit
from bot.policy.engine import Request
from bot.policy.explain import refusal
from commands.errors import NotFound, PilothouseError
from commands.kinds import SENSITIVE
from commands.read import Describe, GetResources, OnKind, Top
from commands.registry import Action
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Preformatted, Reply, table
from integrations.cluster import resources
from integrations.cluster.discovery import ResourceType
from integrations.cluster.model import Json
from integrations.cluster.port import Cluster


def title(resource: ResourceType) -> str:
    """ "Pods", "StatefulSets", "Ingresses", "Certificates": the kind, as a plural."""
    kind, plural = resource.kind, resource.resource
    return kind + plural[len(kind) :] if plural.startswith(kind.lower()) else plural.capitalize()


def _resolve(action: OnKind, verb: str, ctx: Context) -> tuple[Cluster, ResourceType, str | None]:
    cluster = ctx.cluster(action.cluster)
    resource = resources.resolve(cluster, action.kind)
    if (isinstance(action, GetResources) and action.all_namespaces) or not resource.namespaced:
        namespace = None
    else:
        namespace = action.namespace or cluster.default_namespace
    _recheck(action, verb, resource, namespace, cluster, ctx)
    return cluster, resource, namespace


def _recheck(
    action: OnKind, verb: str, resource: ResourceType, namespace: str | None, cluster: Cluster, ctx: Context
) -> None:
    """The policy saw the word as typed; what discovery resolved it to must be allowed too."""
    checked = action.command_name(verb)
    command = f"{verb} {resource.resource}"
    if command == checked and namespace == action.scope(cluster.default_namespace):
        return
    for name in dict.fromkeys((command, f"{verb} {resource.qualified}")):
        request = Request(name, "read", ctx.channel, cluster.name, namespace)
        decision = ctx.authorise(request)
        if not decision.allowed:
            raise refusal(decision, request, ctx.access.policy.current)


# --- get ----------------------------------------------------------------------------------------


def get(action: GetResources, ctx: Context) -> Reply:
    cluster, resource, namespace = _resolve(action, "get", ctx)
    if action.output == "yaml":
        assert action.name is not None
        return _yaml(cluster, resource, namespace, action.name)
    if resource.resource == "secrets" and resource.group == "":
        return _secrets(action, cluster, namespace, ctx)
    try:
        server = cluster.table(resource, namespace, name=action.name, selector=action.selector)
    except NotFound as e:
        if namespace is not None:
            require_namespace(cluster, namespace)
        missing = NotFound(resource.label, e.name, namespace=namespace, cluster=cluster.name)
        raise suggest_missing(missing, lambda: [r.name for r in cluster.table(resource, namespace).rows]) from None
    rows = list(server.rows)
    if resource.resource == "events":  # warnings first, as people read them; the server's order within
        type_column = next((i for i, c in enumerate(server.columns) if c.name == "Type"), None)
        if type_column is not None:
            rows.sort(key=lambda r: r.cells[type_column] != "Warning")
    heading = Heading(
        f"{title(resource)} in {where(namespace, cluster.name)}"
        if resource.namespaced
        else f"{title(resource)} on `{cluster.name}`"
    )
    if not rows:
        if namespace is not None:
            require_namespace(cluster, namespace)
        selected = f" matching `{action.selector}`" if action.selector else ""
        return Reply((heading, Notice("info", f"No {resource.resource}{selected}.")))
    shown = fit(
        server,
        rows,
        wide=action.output == "wide",
        namespaces=resource.namespaced and namespace is None,
        limit=ROW_LIMIT,
    )
    blocks: list[Block] = [heading, shown.table]
    if (note := shown.note()) is not None:
        blocks.append(note)
    return Reply(tuple(blocks))


def _secrets(action: GetResources, cluster: Cluster, namespace: str | None, ctx: Context) -> Reply:
    """Names, types and the names of their keys: the values are dropped by the adapter as it reads."""
    found = [s for s in cluster.list_secrets(namespace, action.selector) if action.name in (None, s.name)]
    heading = Heading(f"Secrets in {where(namespace, cluster.name)}")
    if action.name is not None and not found:
        raise NotFound("secret", action.name, namespace=namespace, cluster=cluster.name)
    if not found:
        if namespace is not None:
            require_namespace(cluster, namespace)
        return Reply((heading, Notice("info", "No secrets.")))
    every = namespace is None
    columns: tuple[str, ...] = ("NAMESPACE",) * every + ("NAME", "TYPE", "KEYS", "AGE")
    rows = [
        [s.namespace] * every + [s.name, s.type, ", ".join(s.keys) or "<none>", age(s.created, ctx.now)] for s in found
    ]
    return Reply((heading, table(columns, rows, limit=ROW_LIMIT)))


def _yaml(cluster: Cluster, resource: ResourceType, namespace: str | None, name: str) -> Reply:
    if resource.resource in SENSITIVE:
        raise PilothouseError(
            f"{title(resource)} are never shown as YAML: their values stay in the cluster.",
            hint=f"`get {resource.resource}` lists them; `describe {resource.label} {name}` names the keys, "
            "never the values.",
        )
    obj = _get(cluster, resource, namespace, name)
    shown = copy.deepcopy(obj)
    shown.setdefault("metadata", {}).pop("managedFields", None)  # who set which field: noise here
    annotations = shown["metadata"].get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    lines = yaml.safe_dump(shown, sort_keys=False, default_flow_style=False).splitlines()
    heading = Heading(
        f"{resource.kind} `{name}` in {where(namespace, cluster.name)}"
        if namespace
        else f"{resource.kind} `{name}` on `{cluster.name}`"
    )
    body = Preformatted(tuple(lines))  # whole: in Slack a long one goes into a file (the reply ceiling holds)
    return Reply((heading, body))


def _get(cluster: Cluster, resource: ResourceType, namespace: str | None, name: str) -> Json:
    try:
        return cluster.get_object(resource, namespace, name)
    except NotFound:
        if namespace is not None:
            require_namespace(cluster, namespace)
        missing = NotFound(resource.label, name, namespace=namespace, cluster=cluster.name)
        raise suggest_missing(missing, lambda: [r.name for r in cluster.table(resource, namespace).rows]) from None


# --- describe -----------------------------------------------------------------------------------


def describe(action: Describe, ctx: Context) -> Reply:
    cluster, resource, namespace = _resolve(action, "describe", ctx)
    views: dict[str, Callable[..., Reply]] = tailored.VIEWS
    view = views.get(resource.resource) if resource.group in ("", "apps", "batch", "autoscaling") else None
    if view is not None:
        return view(cluster, namespace, action.name, ctx)
    return _generic(cluster, resource, namespace, action.name, ctx)


def _generic(cluster: Cluster, resource: ResourceType, namespace: str | None, name: str, ctx: Context) -> Reply:
    """Any kind: what it is, who owns it, its key spec and status fields, conditions, events."""
    obj = _get(cluster, resource, namespace, name)
    meta = obj.get("metadata") or {}
    owners = ", ".join(f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or [])
    fields: list[tuple[str, str]] = [
        ("Kind", f"{resource.kind} ({resource.group_version})"),
        ("Namespace" if namespace else "Scope", namespace or "cluster-wide"),
        ("Cluster", cluster.name),
        ("Created", f"{age(_created(meta), ctx.now)} ago"),
        ("Labels", ", ".join(f"{k}={v}" for k, v in sorted((meta.get("labels") or {}).items())) or "<none>"),
        ("Controlled by", owners or "<none>"),
    ]
    blocks: list[Block] = [Heading(f"{resource.kind} `{name}`"), Fields(tuple(fields))]
    if resource.resource in SENSITIVE:
        keys = sorted((obj.get("data") or {}).keys())
        blocks.append(Fields((("Type", str(obj.get("type", ""))), ("Keys", ", ".join(keys) or "<none>"))))
        blocks.append(Paragraph("Values are never shown."))
    else:
        for label, part in (("Spec", obj.get("spec")), ("Status", obj.get("status")), ("Data", obj.get("data"))):
            pairs = _flat(part)
            if pairs:
                blocks += [Paragraph(label), Fields(tuple(pairs[:16]))]
                if len(pairs) > 16:
                    blocks.append(
                        Paragraph(f"… and {len(pairs) - 16} more fields (`get {resource.resource} {name} -o yaml`).")
                    )
    conditions = ((obj.get("status") or {}).get("conditions")) or []
    if conditions:
        rows = [
            [c.get("type", ""), str(c.get("status", "")), c.get("reason", ""), clip(c.get("message", ""))]
            for c in conditions
        ]
        blocks += [Paragraph("Conditions"), table(("TYPE", "STATUS", "REASON", "MESSAGE"), rows, limit=10)]
    if namespace is not None:
        events = [e for e in cluster.list_events(namespace, involved=name) if e.kind == resource.kind]
        blocks += tailored.events_block(events, ctx)
    return Reply(tuple(blocks))


def _created(meta: Json) -> Any:
    from integrations.cluster.model import timestamp

    return timestamp(meta.get("creationTimestamp"))


def _flat(value: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """Scalars and short lists of a spec or status, as `a.b: value` pairs (two levels deep)."""
    if not isinstance(value, dict):
        return []
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        label = f"{prefix}{key}"
        if key == "conditions":
            continue
        if isinstance(item, dict) and depth < 1:
            pairs += _flat(item, f"{label}.", depth + 1)
        elif isinstance(item, (str, int, float, bool)):
            pairs.append((label, clip(str(item), 100)))
        elif isinstance(item, list) and item and all(isinstance(i, (str, int, float)) for i in item):
            pairs.append((label, clip(", ".join(str(i) for i in item), 100)))
        elif isinstance(item, (list, dict)) and item:
            pairs.append((label, f"({len(item)} {'items' if isinstance(item, list) else 'fields'})"))
    return pairs


# --- top ----------------------------------------------------------------------------------------


def top(action: Top, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    kind = resources.POD_METRICS if action.kind == "pods" else resources.NODE_METRICS
    metrics = resources.served(cluster, kind)
    if metrics is None:
        catalog = cluster.discover()
        down = [g for g in catalog.unavailable if g.startswith("metrics.k8s.io")]
        if down:
            text = (
                f"metrics-server is installed on `{cluster.name}` but not answering ({', '.join(down)} is unavailable)."
            )
        else:
            text = f"metrics-server is not installed on `{cluster.name}`: it serves no metrics.k8s.io API."
        hint = "`top` reads CPU and memory from metrics-server (https://github.com/kubernetes-sigs/metrics-server)."
        return Reply((Notice("warning", text), Paragraph(hint)), ok=False, effect="nothing")
    if action.kind == "nodes":
        return _top_nodes(cluster, metrics, ctx)
    namespace = None if action.all_namespaces else action.namespace or cluster.default_namespace
    found = cluster.list_objects(metrics, namespace, lambda o: o)
    rows = []
    for m in sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
        cpu = sum(cpu_millicores((c.get("usage") or {}).get("cpu", "0")) for c in m.get("containers") or [])
        memory = sum(memory_bytes((c.get("usage") or {}).get("memory", "0")) for c in m.get("containers") or [])
        row = [m["metadata"]["name"], f"{cpu}m", f"{memory // 2**20}Mi"]
        rows.append([m["metadata"].get("namespace", ""), *row] if namespace is None else row)
    columns: tuple[str, ...] = ("NAME", "CPU(cores)", "MEMORY(bytes)")
    if namespace is None:
        columns = ("NAMESPACE", *columns)
    heading = Heading(f"CPU and memory of pods in {where(namespace, cluster.name)}")
    return Reply((heading, table(columns, rows, limit=ROW_LIMIT)))


def _top_nodes(cluster: Cluster, metrics: ResourceType, ctx: Context) -> Reply:
    nodes = {
        n["metadata"]["name"]: n
        for n in cluster.list_objects(resources.require(cluster, resources.NODES), None, lambda o: o)
    }
    rows = []
    for m in sorted(cluster.list_objects(metrics, None, lambda o: o), key=lambda o: o["metadata"]["name"]):
        usage = m.get("usage") or {}
        cpu, memory = cpu_millicores(usage.get("cpu", "0")), memory_bytes(usage.get("memory", "0"))
        allocatable = (nodes.get(m["metadata"]["name"], {}).get("status") or {}).get("allocatable") or {}
        cpu_share = _share(cpu, cpu_millicores(allocatable.get("cpu", "0")))
        memory_share = _share(memory, memory_bytes(allocatable.get("memory", "0")))
        rows.append([m["metadata"]["name"], f"{cpu}m", cpu_share, f"{memory // 2**20}Mi", memory_share])
    heading = Heading(f"CPU and memory of nodes on `{cluster.name}`")
    return Reply((heading, table(("NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"), rows, limit=ROW_LIMIT)))


def _share(used: int, total: int) -> str:
    return f"{round(100 * used / total)}%" if total else "<unknown>"


_SUFFIX = {"n": 1e-6, "u": 1e-3, "m": 1.0, "": 1000.0}
_BYTES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "": 1}


def cpu_millicores(quantity: str) -> int:
    """A CPU quantity (`250m`, `1`, `12345678n`) in millicores."""
    number = quantity.rstrip("num")
    suffix = quantity[len(number) :]
    try:
        return round(float(number) * _SUFFIX.get(suffix, 1000.0))
    except ValueError:
        return 0


def memory_bytes(quantity: str) -> int:
    """A memory quantity (`64Mi`, `1Gi`, `123456Ki`, `1e9`) in bytes."""
    for suffix in ("Ki", "Mi", "Gi", "Ti", "k", "M", "G", "T"):
        if quantity.endswith(suffix):
            try:
                return int(float(quantity[: -len(suffix)]) * _BYTES[suffix])
            except ValueError:
                return 0
    try:
        return int(float(quantity))
    except ValueError:
        return 0


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {GetResources: get, Describe: describe, Top: top}
