"""API discovery: which resources a cluster serves, under which names, in which versions. Pure.

Both `Cluster` implementations answer `discover()` with a `Catalog`; the real one reads it from
the API server (aggregated discovery, one request each for /api and /apis, where the server
has it — 1.26+ — else the classic per-group-version documents) and keeps it for `TTL` seconds,
reading it again at once when a name is not found (a CRD installed a moment ago).

Names resolve as kubectl resolves them: plural, singular, short names and kind, any case, and
`resource.group` or `resource.version.group` to pick one of several. Where a name is served by
more than one group, the first group in the server's own order wins (core before
`events.k8s.io`, as in kubectl), and within a group its preferred version.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

Json = dict[str, Any]

TTL = 300.0  # seconds a catalog is kept
MISS_REFRESH = 1.0  # a name not found reads the catalog again, at most this often (typos cost little)

AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    resource: str  # the plural, as in the URL: "statefulsets"
    kind: str  # "StatefulSet"
    singular: str
    short_names: tuple[str, ...]
    namespaced: bool
    verbs: tuple[str, ...]
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`statefulsets.apps`, or `pods` for the core group: the unambiguous name."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def label(self) -> str:
        """How a reply names one: the singular ("statefulset")."""
        return self.singular or self.kind.lower()

    def names(self) -> tuple[str, ...]:
        return (self.resource, self.singular, self.kind.lower(), *self.short_names)

    def path(self, namespace: str | None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        path = f"{base}/{self.resource}"
        return f"{path}/{quote(name, safe='')}" if name else path


class Catalog:
    """Every served resource, in priority order (group order, then preferred version first)."""

    def __init__(self, types: Iterable[ResourceType], *, unavailable: Sequence[str] = ()) -> None:
        self.types = tuple(types)
        self.unavailable = tuple(unavailable)  # group versions that failed to answer (e.g. metrics)

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self.types)

    def served(self, group: str, version: str | None = None) -> bool:
        return any(t.group == group and (version is None or t.version == version) for t in self.types)

    def find(self, group: str, resource: str, versions: Sequence[str] = ()) -> ResourceType | None:
        """`resource` in `group`, in the first of `versions` served (any version when none given)."""
        found = [t for t in self.types if t.group == group and t.resource == resource]
        for version in versions:
            match = next((t for t in found if t.version == version), None)
            if match is not None:
                return match
        return found[0] if found and not versions else None

    def resolve(self, word: str) -> ResourceType | None:
        """The resource a person means by `word`, as kubectl would pick it."""
        word = word.lower()
        for name, group, version in _readings(word):
            for t in self.types:
                if group is not None and t.group != group:
                    continue
                if version is not None and t.version != version:
                    continue
                if name in t.names():
                    return t
        return None

    def suggestions(self, word: str, limit: int = 3) -> list[str]:
        """Names close to `word`, each the resource's plural (or `plural.group` where ambiguous)."""
        groups: dict[str, set[str]] = {}
        for t in self.types:
            groups.setdefault(t.resource, set()).add(t.group)
        by_name: dict[str, str] = {}
        for t in self.types:
            shown = t.qualified if len(groups[t.resource]) > 1 else t.resource
            for name in t.names():
                by_name.setdefault(name, shown)
        close = difflib.get_close_matches(word.lower(), list(by_name), n=limit * 3, cutoff=0.6)
        return list(dict.fromkeys(by_name[c] for c in close))[:limit]


def _readings(word: str) -> list[tuple[str, str | None, str | None]]:
    """(resource, group, version) readings of a word: `a.b.c` may be resource.version.group or
    resource.group; a bare word any group (kubectl's ParseResourceArg order)."""
    readings: list[tuple[str, str | None, str | None]] = []
    name, dot, rest = word.partition(".")
    if dot:
        version, dot2, group = rest.partition(".")
        if dot2 and version.startswith("v") and version[1:2].isdigit():
            readings.append((name, group, version))
        readings.append((name, rest, None))
        if rest == "core":
            readings.append((name, "", None))
    readings.append((word, None, None))
    return readings


# --- reading discovery documents ------------------------------------------------------------------


def from_aggregated(documents: Iterable[Json]) -> list[ResourceType]:
    """Types from APIGroupDiscoveryList documents (/api, then /apis), versions in the server's order."""
    types: list[ResourceType] = []
    for document in documents:
        for group in document.get("items") or []:
            name = (group.get("metadata") or {}).get("name", "")
            for version in group.get("versions") or []:
                for r in version.get("resources") or []:
                    kind = (r.get("responseKind") or {}).get("kind", "")
                    types.append(
                        ResourceType(
                            group=name,
                            version=version.get("version", ""),
                            resource=r.get("resource", ""),
                            kind=kind,
                            singular=r.get("singularResource") or kind.lower(),
                            short_names=tuple(r.get("shortNames") or ()),
                            namespaced=r.get("scope") == "Namespaced",
                            verbs=tuple(r.get("verbs") or ()),
                            categories=tuple(r.get("categories") or ()),
                            subresources=tuple(s.get("subresource", "") for s in r.get("subresources") or []),
                        )
                    )
    return types


def from_resource_list(group: str, version: str, document: Json) -> list[ResourceType]:
    """Types from one classic APIResourceList (/api/v1, /apis/apps/v1)."""
    entries = document.get("resources") or []
    subresources: dict[str, list[str]] = {}
    for r in entries:
        parent, slash, sub = str(r.get("name", "")).partition("/")
        if slash:
            subresources.setdefault(parent, []).append(sub)
    return [
        ResourceType(
            group=group,
            version=version,
            resource=r["name"],
            kind=r.get("kind", ""),
            singular=r.get("singularName") or str(r.get("kind", "")).lower(),
            short_names=tuple(r.get("shortNames") or ()),
            namespaced=bool(r.get("namespaced")),
            verbs=tuple(r.get("verbs") or ()),
            categories=tuple(r.get("categories") or ()),
            subresources=tuple(subresources.get(r["name"], ())),
        )
        for r in entries
        if "/" not in str(r.get("name", ""))
    ]


def group_versions(core: Json, groups: Json) -> list[tuple[str, str]]:
    """(group, version) pairs to read from the classic /api and /apis documents, preferred first."""
    pairs = [("", v) for v in core.get("versions") or []]
    for group in groups.get("groups") or []:
        name = group.get("name", "")
        preferred = (group.get("preferredVersion") or {}).get("version")
        versions = [v.get("version", "") for v in group.get("versions") or []]
        ordered = ([preferred] if preferred in versions else []) + [v for v in versions if v != preferred]
        pairs += [(name, v) for v in ordered]
    return pairs


class CachedCatalog:
    """A catalog read at most every `ttl` seconds, and again on a miss (at most every `miss_every`)."""

    def __init__(
        self,
        read: Callable[[], Catalog],
        *,
        ttl: float = TTL,
        miss_every: float = MISS_REFRESH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl, self._miss_every, self._clock = ttl, miss_every, clock
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._at = 0.0
        self.reads = 0  # how many times discovery was read (tests, metrics)

    def get(self, *, refresh: bool = False) -> Catalog:
        with self._lock:
            now = self._clock()
            stale = self._catalog is None or now - self._at >= self._ttl
            wanted = refresh and (self._catalog is None or now - self._at >= self._miss_every)
            if stale or wanted:
                self._catalog = self._read()
                self._at = self._clock()
                self.reads += 1
            assert self._catalog is not None
            return self._catalog
