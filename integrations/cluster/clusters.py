"""The clusters Pilothouse knows, by name, and which one is the default."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from commands.errors import UnknownCluster
from integrations.cluster.port import Cluster


class Clusters:
    def __init__(self, clusters: Sequence[Cluster], default: str) -> None:
        self._by_name = {c.name: c for c in clusters}
        if default not in self._by_name:
            raise UnknownCluster(default, list(self._by_name))
        self.default = default

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str | None) -> Cluster:
        cluster = self._by_name.get(name or self.default)
        if cluster is None:
            raise UnknownCluster(name or self.default, list(self._by_name))
        return cluster
