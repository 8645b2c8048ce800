"""What a handler may use: who asks (the Subject), from where, the clusters as that person sees
them, the policy's decision for them, and the shared store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.message import Message
from bot.policy.engine import Decision, Request
from bot.policy.subject import Subject, named
from commands.registry import Registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster
from integrations.store.port import Store

if TYPE_CHECKING:
    from bot.access import Access


@dataclass(frozen=True, slots=True)
class Context:
    message: Message
    subject: Subject
    # Every cluster as the subject sees it: views that impersonate them and pass the policy's gate.
    clusters: Clusters
    registry: Registry
    now: datetime
    access: Access
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

    @property
    def who(self) -> str:
        """The person, for records: the ID, the display name beside it as a label only."""
        return self.subject.label

    @property
    def where(self) -> str:
        return named(self.message.channel, self.message.channel_name)

    def cluster(self, name: str | None) -> Cluster:
        return self.clusters.get(name)

    def authorise(self, request: Request) -> Decision:
        """The policy's decision for this person (the one `authorise`, as everywhere)."""
        return self.access.authorise(self.subject, request)
