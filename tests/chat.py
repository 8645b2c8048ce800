"""A small test driver: say something to a Pipeline, read the reply as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.pipeline import Message, Pipeline, Progress
from bot.policy import Policy
from commands import default_registry
from commands.replies import Reply
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from integrations.store.port import Store
from tests.policies import nobody


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

    def follow(self, show: Callable[[Progress], None] = lambda _: None) -> Progress | None:
        """Follow the rollout the last reply started, as this chat's person."""
        return self.pipeline.follow(self.last, show, message=Message(self.user, self.channel, ""))


def chat(
    *clusters: Cluster,
    policy: Policy | None = None,
    store: Store | None = None,
    user: str = "alice",
    budget: float = 30.0,
    clock: Callable[[], datetime] | None = None,
) -> Chat:
    """`clock`: the pipeline's (freezes and locks are decided at its time); default: the real one."""
    pipeline = Pipeline(
        registry=default_registry(),
        policy=policy or nobody(),
        clusters=Clusters(list(clusters), clusters[0].name),
        store=store or MemoryStore(),
        budget=budget,
        **({"clock": clock} if clock is not None else {}),
    )
    return Chat(pipeline, user=user)
