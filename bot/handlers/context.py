"""What a handler may use: who asks, from where, and the app's clusters and policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.message import Message
from bot.policy import Policy
from commands.registry import Registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster
from integrations.store.port import Store


@dataclass(frozen=True, slots=True)
class Context:
    message: Message
    clusters: Clusters
    policy: Policy
    registry: Registry
    now: datetime
    store: Store | None = None  # shared state (digest schedules and snapshots); None in bare handler tests

    def shared_store(self) -> Store:
        assert self.store is not None, "this handler needs the pipeline's store"
        return self.store

    @property
    def user(self) -> str:
        return self.message.user

    @property
    def channel(self) -> str:
        return self.message.channel

    def cluster(self, name: str | None) -> Cluster:
        return self.clusters.get(name)
