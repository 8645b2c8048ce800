"""What a handler may use: who asks, from where, and the app's clusters and policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.policy import Policy
from commands.registry import Registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster


@dataclass(frozen=True, slots=True)
class Context:
    user: str
    channel: str
    clusters: Clusters
    policy: Policy
    registry: Registry
    now: datetime

    def cluster(self, name: str | None) -> Cluster:
        return self.clusters.get(name)
