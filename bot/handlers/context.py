"""What a handler may use: who asks, from where, and the app's clusters and policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.message import Message
from bot.policy import Policy
from commands.registry import Registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster


@dataclass(frozen=True, slots=True)
class Context:
    message: Message
    clusters: Clusters
    policy: Policy
    registry: Registry
    now: datetime

    @property
    def user(self) -> str:
        return self.message.user

    @property
    def channel(self) -> str:
        return self.message.channel

    def cluster(self, name: str | None) -> Cluster:
        return self.clusters.get(name)
