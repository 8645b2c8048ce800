"""The bodies of every change Pilothouse makes, built once, for both `Cluster` implementations.

`KubeCluster` sends them to the API server as they are; `SimulatedCluster` applies them with
`apply` below (JSON merge patch, RFC 7386, or the part of strategic merge patch these bodies
use: lists of containers merged by name, `$patch: replace`), so the demo changes exactly what
the real cluster would. Pure: no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from integrations.cluster.model import CHANGE_CAUSE, Json

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # kubectl's annotation, so both tools agree

# Where a kind keeps its pod template.
_TEMPLATE_PATH = {"cronjobs": ("spec", "jobTemplate", "spec", "template")}
# Strategic merge patch: these lists are merged by `name`, as the API server's schema says.
_MERGED_BY_NAME = frozenset({"containers", "initContainers", "ephemeralContainers", "env", "volumes", "ports"})


@dataclass(frozen=True, slots=True)
class Patch:
    body: Json
    strategic: bool = False  # strategic merge patch (merges containers by name); else JSON merge patch

    def guarded(self, resource_version: str, cause: str | None) -> Patch:
        """The same change, refused (409) if the object changed since `resource_version`, with
        its change-cause recorded."""
        meta: Json = {"resourceVersion": resource_version}
        if cause is not None:
            meta["annotations"] = {CHANGE_CAUSE: cause}
        return replace(self, body={**self.body, "metadata": {**self.body.get("metadata", {}), **meta}})


def _nest(path: tuple[str, ...], leaf: Json) -> Json:
    body = leaf
    for key in reversed(path):
        body = {key: body}
    return body


def template_path(resource: str) -> tuple[str, ...]:
    return _TEMPLATE_PATH.get(resource, ("spec", "template"))


def pod_template(resource: str, obj: Json) -> Json:
    found: Any = obj
    for key in template_path(resource):
        found = (found or {}).get(key) or {}
    return found if isinstance(found, dict) else {}


def scale(replicas: int) -> Patch:
    return Patch({"spec": {"replicas": replicas}})


def autoscaling_limits(minimum: int, maximum: int) -> Patch:
    return Patch({"spec": {"minReplicas": minimum, "maxReplicas": maximum}})


def image(resource: str, container: str, reference: str) -> Patch:
    # Strategic: the containers list is merged by name, so sidecars are left untouched.
    spec = {"spec": {"containers": [{"name": container, "image": reference}]}}
    return Patch(_nest(template_path(resource), spec), strategic=True)


def restart(resource: str, at: str) -> Patch:
    return Patch(_nest(template_path(resource), {"metadata": {"annotations": {RESTARTED_AT: at}}}))


def paused(value: bool) -> Patch:
    return Patch({"spec": {"paused": value}})


def suspended(value: bool) -> Patch:
    return Patch({"spec": {"suspend": value}})


def template(old: Json, new: Json) -> Patch:
    """A Deployment's pod template turned into exactly `new` (keys only in `old` become null)."""
    return Patch({"spec": {"template": replacement(old, new)}})


def revision(data: Json) -> Patch:
    """A ControllerRevision's data, applied as `kubectl rollout undo` applies it to a StatefulSet
    or DaemonSet (a strategic patch whose template says `$patch: replace`)."""
    return Patch(copy.deepcopy(data), strategic=True)


def replacement(old: Json, new: Json) -> Json:
    """A JSON merge patch that turns `old` into exactly `new`."""
    patch: Json = {}
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            patch[key] = replacement(old[key], value)
        else:
            patch[key] = value
    for key in old.keys() - new.keys():
        patch[key] = None
    return patch


# --- applying them (the simulated cluster) ------------------------------------------------------


def apply(obj: Json, patch: Patch) -> Json:
    """`obj` with `patch` applied, as the API server applies it (`obj` is left as it was)."""
    body = copy.deepcopy(patch.body)
    if isinstance(body.get("metadata"), dict):
        body["metadata"].pop("resourceVersion", None)  # a precondition, checked by the caller
    result: Json = _strategic(obj, body) if patch.strategic else _merge(obj, body)
    return result


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _strategic(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif key in _MERGED_BY_NAME and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_named(result[key], value)
        else:
            result[key] = _strategic(result.get(key), value)
    return result


def _merge_named(current: list[Any], patch: list[Any]) -> list[Any]:
    merged = [copy.deepcopy(item) for item in current]
    index = {item.get("name"): i for i, item in enumerate(merged) if isinstance(item, dict)}
    for item in patch:
        name = item.get("name") if isinstance(item, dict) else None
        if name in index:
            merged[index[name]] = _strategic(merged[index[name]], item)
        else:
            merged.append(copy.deepcopy(item))
    return merged
