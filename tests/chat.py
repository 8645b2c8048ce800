"""A small test driver: say something to a Pipeline, read the reply as text."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.pipeline import Message, Pipeline
from bot.policy import Policy
from commands import default_registry
from commands.replies import Reply
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from integrations.store.port import Store


@dataclass
class Chat:
    pipeline: Pipeline
    user: str = "alice"
    channel: str = "C-OPS"
    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str) -> str:
        reply = self.pipeline.handle(Message(self.user, self.channel, text))
        self.replies.append(reply)
        return render(reply)

    @property
    def last(self) -> Reply:
        return self.replies[-1]


def chat(
    *clusters: Cluster,
    policy: Policy | None = None,
    store: Store | None = None,
    user: str = "alice",
    budget: float = 30.0,
) -> Chat:
    pipeline = Pipeline(
        registry=default_registry(),
        policy=policy or Policy([]),
        clusters=Clusters(list(clusters), clusters[0].name),
        store=store or MemoryStore(),
        budget=budget,
    )
    return Chat(pipeline, user=user)
