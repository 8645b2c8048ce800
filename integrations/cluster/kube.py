"""The real `Cluster`: the official kubernetes client, raw JSON, paged lists.

Typed models cost ~6x the time and ~30x the memory on big lists (see shared notes), so every
call goes through one `ApiClient` as a raw request; each page of 500 items is parsed into our
small records at once and the JSON dropped. Every failure — an HTTP status, a refused
connection, a TLS error, a timeout — is translated here, once, into `commands.errors`.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import json
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from commands.errors import ClusterError, ConfigError, Conflict, Forbidden, Invalid, NotFound, Unreachable
from commands.limits import LOG_BYTES
from integrations import deadline
from integrations.cluster import discovery, resources, tables
from integrations.cluster.discovery import Catalog, ResourceType
from integrations.cluster.model import (
    AccessRules,
    ClusterInfo,
    EventInfo,
    Json,
    LogText,
    PodChange,
    access_rules_from,
    event_from,
    log_text,
    pod_from,
)
from integrations.cluster.patches import Patch
from integrations.cluster.port import FIELD_MANAGER, Cancel, Identity, NamespaceGate
from integrations.cluster.tables import ServerTable
from integrations.cluster.typed import TypedReads

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

T = TypeVar("T")
PAGE_SIZE = 500
DISCOVERY_THREADS = 8  # classic discovery is one request per group version (~40 on 1.20)


@dataclass(frozen=True, slots=True)
class _Call:
    """What was asked, so an error can say exactly what was refused or missing."""

    verb: str
    resource: str  # plural API resource, e.g. "pods"
    kind: str  # what a person calls it, e.g. "pod"
    namespace: str | None = None
    name: str | None = None


WRITE_VERBS = {"PATCH": "patch", "DELETE": "delete", "POST": "create", "PUT": "update"}
REVIEWS = "/apis/authorization.k8s.io/v1"


@dataclass
class _Pool:
    """A cluster's one ApiClient (and its urllib3 pool), shared by every view of the cluster."""

    load: Callable[[Any], None]
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: ApiClient | None = None


def _path(group: str, resource: str, namespace: str | None, name: str | None = None) -> str:
    base = "/api/v1" if group == "" else f"/apis/{group}"
    path = f"{base}/namespaces/{quote(namespace)}/{resource}" if namespace else f"{base}/{resource}"
    return f"{path}/{quote(name)}" if name else path


class KubeCluster(TypedReads):
    """Implements the `Cluster` port against a real API server."""

    def __init__(
        self,
        name: str,
        *,
        load: Callable[[Any], None],
        default_namespace: str,
        identity: str,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.default_namespace = default_namespace
        self.identity = identity
        self.timeout = timeout
        self._pool = _Pool(load)  # `load` fills a kubernetes Configuration; called once, lazily
        self._catalog = discovery.CachedCatalog(self._read_catalog)  # shared by views, as the pool is
        # Set on views (see `view`): whom to impersonate, which namespaces the policy lets through.
        self.impersonating: Identity | None = None
        self._gate: NamespaceGate | None = None
        # Writes first ask SelfSubjectAccessReview (as the view's identity), to explain a refusal early.
        self.precheck = False
        self._reviews: dict[tuple[tuple[str, str], ...], Json] = {}

    def view(self, identity: Identity | None, gate: NamespaceGate | None = None) -> KubeCluster:
        """The same cluster and connection pool, every request made as `identity` (impersonated)
        and within `gate`. Cheap: one per request."""
        seen = copy.copy(self)
        seen.impersonating = identity
        seen.identity = str(identity) if identity is not None else self.identity
        seen._gate = gate
        seen._reviews = {}
        return seen

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(cls, path: str, context: str, *, namespace: str, user: str, timeout: float) -> KubeCluster:
        from kubernetes import config

        def load(configuration: Any) -> None:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=configuration, persist_config=False
            )

        return cls(context, load=load, default_namespace=namespace, identity=user, timeout=timeout)

    @classmethod
    def in_cluster(cls, name: str, *, namespace: str, timeout: float) -> KubeCluster:
        from kubernetes import config

        def load(configuration: Any) -> None:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]

        return cls(
            name, load=load, default_namespace=namespace, identity="service account (in-cluster)", timeout=timeout
        )

    def _api(self) -> ApiClient:
        # Created once and shared by all threads and views: urllib3's pool is thread-safe, and
        # the Configuration must not change under concurrent requests.
        pool = self._pool
        with pool.lock:
            if pool.client is None:
                from kubernetes.client import ApiClient, Configuration
                from kubernetes.config import ConfigException

                configuration = Configuration()
                try:
                    pool.load(configuration)
                except (ConfigException, OSError, ValueError, KeyError) as e:
                    raise ConfigError(f"Cluster `{self.name}`: the kubeconfig cannot be used: {e}") from e
                configuration.retries = 1  # one retry on a dropped connection, not urllib3's three
                configuration.connection_pool_maxsize = 32
                pool.client = ApiClient(configuration)
            return pool.client

    @property
    def server(self) -> str:
        return str(self._api().configuration.host)

    def api_client(self) -> ApiClient:
        """The shared client, for integrations beyond the `Cluster` port (leader election's Lease)."""
        return self._api()

    # --- raw requests -----------------------------------------------------------------------

    def _request(
        self, path: str, query: list[tuple[str, str]], call: _Call, *args: Any, limit: int | None = None, **options: Any
    ) -> bytes:
        """The body of a request, or its first `limit` + 1 bytes at most; `args` and `options` as
        for `_open`."""
        import urllib3

        response = self._open(path, query, call, *args, **options)
        try:
            data: bytes = response.read() if limit is None else response.read(limit + 1)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable(self.name, _network_reason(e, self.timeout)) from e
        finally:
            if limit is not None and len(data) > limit:
                _shut(response)  # the rest is never read: the connection cannot be reused
            response.release_conn()
        return data

    def _open(
        self,
        path: str,
        query: list[tuple[str, str]],
        call: _Call,
        accept: str = "application/json",
        *,
        method: str = "GET",
        patch: Json | None = None,
        strategic: bool = False,
        body: Json | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        """Send a request; the urllib3 response, its body still unread (watches stream it).

        The one way out to the API server, so what a view adds is added here: the policy's
        namespace gate, the write pre-check, and the impersonation headers.
        """
        import urllib3
        from kubernetes.client.exceptions import ApiException

        deadline.check()  # a request given up on stops here, before it sends anything more
        if self._gate is not None and call.namespace:
            self._gate.check(call.namespace)
        if self.precheck and method in WRITE_VERBS and not path.startswith(REVIEWS):
            self._review(method, path, call)
        api = self._api()
        headers = {"Accept": accept}
        if patch is not None:
            kind = "strategic-merge-patch" if strategic else "merge-patch"
            headers["Content-Type"] = f"application/{kind}+json"
        elif body is not None:
            headers["Content-Type"] = "application/json"
        try:
            method, url, headers, payload, post = api.param_serialize(
                method,
                path,
                query_params=query,
                header_params=headers,
                body=patch if patch is not None else body,
                auth_settings=["BearerToken"],
            )
            if self.impersonating is not None:
                headers = _impersonated(headers, self.impersonating)
            timeout = (deadline.remaining(3.0), deadline.remaining(read_timeout or self.timeout))
            response = api.call_api(method, url, headers, payload, post, _request_timeout=timeout).response
        except urllib3.exceptions.HTTPError as e:
            raise Unreachable(self.name, _network_reason(e, self.timeout)) from e
        except ApiException as e:  # the client wraps TLS failures as status 0
            raise Unreachable(self.name, _first_line(str(e.reason))) from e
        except OSError as e:
            raise Unreachable(self.name, str(e)) from e
        if response.status >= 400:
            try:
                data = response.data
            finally:
                response.release_conn()
            raise self._translate(response.status, data, call)
        return response

    def _watch(
        self, path: str, query: list[tuple[str, str]], call: _Call, timeout: float, cancel: Cancel
    ) -> Iterator[tuple[str, Json]]:
        """The (type, object) events of one watch request, ending when the server closes it."""
        import urllib3

        if cancel.cancelled:
            return
        query = [*query, ("watch", "1"), ("timeoutSeconds", str(max(1, int(timeout))))]
        response = self._open(path, query, call, read_timeout=timeout + 10)
        cancel.on_cancel(lambda: _shut(response))  # unblocks the read below from another thread
        try:
            for line in _lines(response.stream(None)):
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    if status.get("code") == 410:
                        raise _Expired()
                    raise Unreachable(self.name, f"the watch failed: {status.get('message', 'no reason given')}")
                yield str(event.get("type")), event.get("object") or {}
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable(self.name, _network_reason(e, timeout)) from e
        finally:
            # Not back to the pool: a watch left early has unread events on its connection.
            response.close()

    def _watch_resumed(
        self, path: str, query: list[tuple[str, str]], call: _Call, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[tuple[str, Json]]:
        try:
            resumed = [*query, ("resourceVersion", since)] if since else query
            yield from self._watch(path, resumed, call, timeout, cancel)
        except _Expired:
            # The apiserver no longer holds history that old: start over from the state now.
            yield from self._watch(path, query, call, timeout, cancel)

    def _get_json(self, path: str, query: list[tuple[str, str]], call: _Call, accept: str = "application/json") -> Json:
        result: Json = json.loads(self._request(path, query, call, accept))
        return result

    def _pages(
        self, path: str, query: list[tuple[str, str]], call: _Call, accept: str = "application/json"
    ) -> Iterator[Json | None]:
        """Each page of a list (of 500); a continue token that expired (410) restarts the list once,
        signalled by a None: the pages before it are to be dropped."""
        query = [("limit", str(PAGE_SIZE)), *query]
        for attempt in range(2):
            token = None
            try:
                while True:
                    page = self._get_json(path, query + ([("continue", token)] if token else []), call, accept)
                    yield page
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        return
            except _Expired:
                if attempt:
                    break
                yield None
        raise Unreachable(self.name, "the list kept changing faster than it could be read; try again")

    def _list(
        self,
        path: str,
        convert: Callable[[Json], T],
        call: _Call,
        *,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[T]:
        query = []
        if selector:
            query.append(("labelSelector", selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        items: list[T] = []
        for page in self._pages(path, query, call):
            if page is None:
                items.clear()
            else:
                items.extend(convert(o) for o in page.get("items") or [] if self._visible(o, call))
        return items

    def _visible(self, obj: Json, call: _Call) -> bool:
        """An item of a cluster-wide list is kept only in namespaces the policy lets through."""
        if self._gate is None or call.namespace is not None:
            return True
        namespace = (obj.get("metadata") or {}).get("namespace")
        return not namespace or self._gate.allows(namespace)

    def _review(self, method: str, path: str, call: _Call) -> None:
        """SelfSubjectAccessReview, as this view's identity: a refusal is explained before any
        write (the dry run included) is sent. One review per kind of write per view."""
        attributes = _attributes(method, path)
        key = tuple(sorted(attributes.items()))
        status = self._reviews.get(key)
        if status is None:
            review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview"}
            data = self._request(
                f"{REVIEWS}/selfsubjectaccessreviews",
                [],
                _Call("create", "selfsubjectaccessreviews", "access review"),
                method="POST",
                body={**review, "spec": {"resourceAttributes": attributes}},
            )
            status = self._reviews[key] = json.loads(data).get("status") or {}
        if not status.get("allowed"):
            subresource = f"/{attributes['subresource']}" if "subresource" in attributes else ""
            raise Forbidden(
                verb=attributes["verb"],
                resource=attributes["resource"] + subresource,
                namespace=call.namespace,
                cluster=self.name,
                user=self.impersonating.user if self.impersonating else None,
                groups=self.impersonating.groups if self.impersonating else (),
                impersonated=self.impersonating is not None,
                reason=str(status.get("reason") or "") or None,
            )

    def _translate(self, status: int, data: bytes, call: _Call) -> ClusterError | _Expired:
        try:
            message = str(json.loads(data).get("message", ""))
        except ValueError:
            message = data.decode("utf-8", "replace")[:300]
        if status == 404:
            return NotFound(call.kind, call.name or call.resource, namespace=call.namespace, cluster=self.name)
        if status == 403:
            return self._forbidden(message, call)
        if status == 401:
            return ClusterError(
                f"Cluster `{self.name}` did not accept Pilothouse's credentials (401 Unauthorized).",
                cluster=self.name,
                hint="The token or certificate in the kubeconfig is wrong or expired.",
            )
        if status == 410:
            return _Expired()
        if status == 409:
            return Conflict(
                f"{call.kind} `{call.name}` was changed by someone else meanwhile on cluster `{self.name}`.",
                cluster=self.name,
                hint="Nothing was changed by Pilothouse; look at its state and try again.",
            )
        if status in (400, 422):
            return Invalid(f"Cluster `{self.name}` rejected the request: {message}", cluster=self.name)
        return Unreachable(self.name, f"the API server answered {status}: {_first_line(message) or 'no reason given'}")

    def _forbidden(self, message: str, call: _Call) -> ClusterError:
        user = m.group(1) if (m := re.search(r'User "([^"]{1,253})"', message)) else None
        if " cannot impersonate " in message and self.impersonating is not None:
            return ClusterError(
                f"Cluster `{self.name}` does not let Pilothouse act as `{self.impersonating.user}`: "
                f"its own identity (`{user or '?'}`) may not impersonate that user or its groups.",
                cluster=self.name,
                hint="Grant Pilothouse's identity the `impersonate` verb on `users` and `groups` "
                "(README, “Permissions”), or turn impersonation off for this cluster (PILOTHOUSE_IMPERSONATE).",
                status=403,
            )
        identity = self.impersonating
        return Forbidden(
            verb=call.verb,
            resource=call.resource,
            namespace=call.namespace,
            cluster=self.name,
            user=identity.user if identity else user,
            groups=identity.groups if identity else (),
            impersonated=identity is not None,
        )

    # --- the Cluster port -------------------------------------------------------------------

    def access_rules(self, namespace: str) -> AccessRules:
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview"}
        call = _Call("create", "selfsubjectrulesreviews", "rules review")
        data = self._request(
            f"{REVIEWS}/selfsubjectrulesreviews",
            [],
            call,
            method="POST",
            body={**review, "spec": {"namespace": namespace}},
        )
        return access_rules_from(self.identity, namespace, json.loads(data))

    def info(self) -> ClusterInfo:
        try:
            version = self._get_json("/version", [], _Call("get", "version", "version"))
            return ClusterInfo(self.name, True, str(version.get("gitVersion")), self.default_namespace, self.server)
        except Unreachable as e:
            return ClusterInfo(self.name, False, None, self.default_namespace, self.server, error=e.reason)
        except (ClusterError, ConfigError) as e:
            server = self.server if self._pool.client else "?"
            return ClusterInfo(self.name, False, None, self.default_namespace, server, error=e.message)

    def list_events(self, namespace: str | None, involved: str | None = None) -> list[EventInfo]:
        # events.k8s.io/v1 where served (1.19+), else the core API; both read by event_from.
        modern = resources.served(self, resources.EVENTS)
        resource = modern or resources.require(self, resources.CORE_EVENTS)
        call = _Call("list", "events", "event", namespace)
        field = "regarding.name" if modern else "involvedObject.name"
        field_selector = f"{field}={involved}" if involved else None
        return self._list(resource.path(namespace), event_from, call, field_selector=field_selector)

    def pod_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool = False) -> LogText:
        call = _Call("get", "pods/log", "pod", namespace, pod)
        # limitBytes too: `tailLines` alone lets one huge line cost gigabytes. One byte more than is
        # shown, to know whether there was more.
        query = [("container", container), ("tailLines", str(tail)), ("limitBytes", str(LOG_BYTES + 1))]
        if previous:
            query.append(("previous", "true"))
        path = _path("", "pods", namespace, pod) + "/log"
        return log_text(self._request(path, query, call, accept="*/*", limit=LOG_BYTES))

    # --- watches ------------------------------------------------------------------------------

    def watch_pods(
        self, namespace: str, selector: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[PodChange]:
        call = _Call("watch", "pods", "pod", namespace)
        query = [("labelSelector", selector)]
        for kind, obj in self._watch_resumed(_path("", "pods", namespace), query, call, since, timeout, cancel):
            if kind in ("ADDED", "MODIFIED", "DELETED"):
                yield PodChange(kind, pod_from(obj), str(obj["metadata"].get("resourceVersion", "")))

    # --- any kind ---------------------------------------------------------------------------

    def discover(self, *, refresh: bool = False) -> Catalog:
        return self._catalog.get(refresh=refresh)

    def _read_catalog(self) -> Catalog:
        call = _Call("get", "discovery", "API discovery")
        core = self._get_json("/api", [], call, discovery.AGGREGATED)
        if core.get("kind") == "APIGroupDiscoveryList":  # 1.26+: two requests hold everything
            groups = self._get_json("/apis", [], call, discovery.AGGREGATED)
            stale = [
                f"{g['metadata']['name']}/{v.get('version')}"
                for g in groups.get("items") or []
                for v in g.get("versions") or []
                if v.get("freshness") == "Stale"
            ]
            return Catalog(discovery.from_aggregated([core, groups]), unavailable=stale)
        pairs = discovery.group_versions(core, self._get_json("/apis", [], call))

        def read(pair: tuple[str, str]) -> list[ResourceType] | None:
            group, version = pair
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                return discovery.from_resource_list(group, version, self._get_json(path, [], call))
            except (Unreachable, NotFound):
                return None  # an aggregated API that does not answer (kubectl warns and goes on)

        contexts = [contextvars.copy_context() for _ in pairs]  # the request's time budget goes along
        with ThreadPoolExecutor(max_workers=DISCOVERY_THREADS, thread_name_prefix="discovery") as pool:
            found = list(pool.map(lambda job: job[0].run(read, job[1]), zip(contexts, pairs, strict=True)))
        unavailable = [f"{g}/{v}" if g else v for (g, v), types in zip(pairs, found, strict=True) if types is None]
        return Catalog([t for types in found if types for t in types], unavailable=unavailable)

    def list_objects(
        self,
        resource: ResourceType,
        namespace: str | None,
        convert: Callable[[Json], T],
        *,
        selector: str | None = None,
    ) -> list[T]:
        call = _Call("list", resource.resource, resource.label, namespace)
        return self._list(resource.path(namespace), convert, call, selector=selector)

    def get_object(self, resource: ResourceType, namespace: str | None, name: str) -> Json:
        call = _Call("get", resource.resource, resource.label, namespace, name)
        return self._get_json(resource.path(namespace, name), [], call)

    def table(
        self, resource: ResourceType, namespace: str | None, *, name: str | None = None, selector: str | None = None
    ) -> ServerTable:
        call = _Call("get" if name else "list", resource.resource, resource.label, namespace, name)
        query = [("includeObject", "Metadata")]
        if name is not None:
            return tables.table_from(self._get_json(resource.path(namespace, name), query, call, tables.ACCEPT))
        if selector:
            query.append(("labelSelector", selector))
        pages: list[ServerTable] = []
        for page in self._pages(resource.path(namespace), query, call, tables.ACCEPT):
            if page is None:
                pages.clear()
            else:
                pages.append(tables.table_from(page))
        joined = tables.joined(pages)
        if self._gate is None or namespace is not None:
            return joined
        gate = self._gate  # cluster-wide: only the rows of namespaces the policy lets through
        return replace(joined, rows=tuple(r for r in joined.rows if not r.namespace or gate.allows(r.namespace)))

    def watch_object(
        self, resource: ResourceType, namespace: str, name: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[Json]:
        call = _Call("watch", resource.resource, resource.label, namespace, name)
        query = [("fieldSelector", f"metadata.name={name}")]
        for kind, obj in self._watch_resumed(resource.path(namespace), query, call, since, timeout, cancel):
            if kind == "DELETED":
                raise NotFound(resource.label, name, namespace=namespace, cluster=self.name)
            if kind in ("ADDED", "MODIFIED"):
                yield obj

    def patch_object(
        self, resource: ResourceType, namespace: str | None, name: str, patch: Patch, *, dry_run: bool
    ) -> Json:
        query = [("fieldManager", FIELD_MANAGER)] + ([("dryRun", "All")] if dry_run else [])
        call = _Call("patch", resource.resource, resource.label, namespace, name)
        path = resource.path(namespace, name)
        data = self._request(path, query, call, method="PATCH", patch=patch.body, strategic=patch.strategic)
        result: Json = json.loads(data)
        return result

    def create_object(self, resource: ResourceType, namespace: str, obj: Json, *, dry_run: bool) -> Json:
        query = [("fieldManager", FIELD_MANAGER)] + ([("dryRun", "All")] if dry_run else [])
        call = _Call("create", resource.resource, resource.label, namespace, obj["metadata"].get("name"))
        result: Json = json.loads(self._request(resource.path(namespace), query, call, method="POST", body=obj))
        return result

    def delete_object(self, resource: ResourceType, namespace: str | None, name: str, *, dry_run: bool) -> None:
        query = [("dryRun", "All")] if dry_run else []
        call = _Call("delete", resource.resource, resource.label, namespace, name)
        self._request(resource.path(namespace, name), query, call, method="DELETE")


def _impersonated(headers: dict[str, str], identity: Identity) -> Any:
    """The request's headers plus Impersonate-User and one Impersonate-Group per group (the API
    server reads repeated headers, not a comma-joined one)."""
    import urllib3

    combined = urllib3.HTTPHeaderDict(headers)
    combined["Impersonate-User"] = identity.user
    for group in identity.groups:
        combined.add("Impersonate-Group", group)
    return combined


def _attributes(method: str, path: str) -> dict[str, str]:
    """SubjectAccessReview resource attributes of a write, from its API path."""
    parts = [p for p in path.split("?", 1)[0].strip("/").split("/") if p]
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    attributes = {"verb": WRITE_VERBS[method], "group": group}
    if len(rest) >= 3 and rest[0] == "namespaces":
        attributes["namespace"], rest = rest[1], rest[2:]
    attributes["resource"] = rest[0]
    if len(rest) > 1:
        attributes["name"] = rest[1]
    if len(rest) > 2:
        attributes["subresource"] = rest[2]
    return attributes


class _Expired(Exception):
    """410 Gone: a list's continue token expired; the list is read again from the start."""


def _shut(response: Any) -> None:
    with contextlib.suppress(OSError, ValueError, RuntimeError, AttributeError):
        response.shutdown()


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Whole lines from a stream of chunks (one watch event per line)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        yield from (line for line in lines if line.strip())
    if buffer.strip():
        yield buffer


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _network_reason(error: Exception, timeout: float) -> str:
    import urllib3

    cause = getattr(error, "reason", None) or error
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        return "connection refused" if "refused" in str(cause).lower() else _first_line(str(cause))
    if isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
        return "timed out while connecting"
    if isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(cause, urllib3.exceptions.SSLError):
        return f"TLS failed ({_first_line(str(cause))})"
    return _first_line(str(cause)) or type(cause).__name__


def clusters_from_kubeconfig(path: str | None, *, timeout: float) -> tuple[list[KubeCluster], str]:
    """One cluster per kubeconfig context, named after it; and the current context's name."""
    from kubernetes import config

    try:
        contexts, current = config.list_kube_config_contexts(path)  # type: ignore[no-untyped-call]
    except Exception as e:  # ConfigException, a YAML error, a missing file: all mean the same
        raise ConfigError(
            f"The kubeconfig {path or '~/.kube/config'} cannot be read: {_first_line(str(e))}",
            hint="Point PILOTHOUSE_KUBECONFIG (or KUBECONFIG) at a valid kubeconfig file.",
        ) from e
    clusters = [
        KubeCluster.from_kubeconfig(
            path or config.KUBE_CONFIG_DEFAULT_LOCATION,
            c["name"],
            namespace=c.get("context", {}).get("namespace") or "default",
            user=c.get("context", {}).get("user") or "?",
            timeout=timeout,
        )
        for c in contexts
    ]
    return clusters, current["name"]
