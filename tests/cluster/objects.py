"""Create-or-replace arbitrary Kubernetes objects from dicts (seeding test clusters)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from tests.cluster.rest import JSON, MERGE_PATCH, request

# Pods created right after their namespace can race the controller-manager creating the
# namespace's default ServiceAccount; the ServiceAccount admission plugin then refuses them.
SA_RACE_SECONDS = 15.0


@dataclass(frozen=True)
class Resource:
    path: str  # e.g. /apis/apps/v1
    plural: str
    namespaced: bool
    has_status: bool

    def collection(self, namespace: str | None) -> str:
        ns = f"/namespaces/{namespace}" if self.namespaced else ""
        return f"{self.path}{ns}/{self.plural}"


_discovery: dict[tuple[str, str, str], Resource] = {}


def resource_for(api: ApiClient, api_version: str, kind: str) -> Resource:
    """Finds a kind's REST resource by discovery (cached per server and group version)."""
    host = api.configuration.host
    key = (host, api_version, kind)
    if key not in _discovery:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        resources = request(api, "GET", path)["resources"]
        names = {r["name"] for r in resources}
        for r in resources:
            if "/" not in r["name"]:
                _discovery[(host, api_version, r["kind"])] = Resource(
                    path, r["name"], r["namespaced"], f"{r['name']}/status" in names
                )
    try:
        return _discovery[key]
    except KeyError:
        raise ValueError(f"unknown kind {kind} in {api_version}") from None


def apply_object(api: ApiClient, obj: JSON) -> JSON:
    """Creates `obj`, or replaces the existing one; then sets its status if it has one."""
    res = resource_for(api, obj["apiVersion"], obj["kind"])
    meta = obj["metadata"]
    namespace = meta.get("namespace", "default") if res.namespaced else None
    collection = res.collection(namespace)
    try:
        result = _retry_sa_race(lambda: request(api, "POST", collection, obj))
    except ApiException as e:
        if e.status != 409:
            raise
        result = _replace(api, f"{collection}/{meta['name']}", obj)
    if obj.get("status") and res.has_status:
        result = request(
            api, "PATCH", f"{collection}/{meta['name']}/status", {"status": obj["status"]}, content_type=MERGE_PATCH
        )
    return result


def apply_objects(api: ApiClient, objects: list[JSON]) -> list[JSON]:
    """Create-or-replace each object in order (put namespaces first); returns what the server stored."""
    return [apply_object(api, obj) for obj in objects]


def _replace(api: ApiClient, path: str, obj: JSON) -> JSON:
    current = request(api, "GET", path)
    body = {**obj, "metadata": {**obj["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}}
    if obj["kind"] == "Service":  # clusterIP is immutable: keep the allocated one
        spec = current.get("spec", {})
        body["spec"] = {**{k: spec[k] for k in ("clusterIP", "clusterIPs") if k in spec}, **obj.get("spec", {})}
    return request(api, "PUT", path, body)  # type: ignore[no-any-return]


def _retry_sa_race(call: Callable[[], JSON]) -> JSON:
    deadline = time.monotonic() + SA_RACE_SECONDS
    while True:
        try:
            return call()
        except ApiException as e:
            race = e.status in (403, 500) and "service account" in (e.body or "").lower()
            if not race or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
