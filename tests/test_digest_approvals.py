"""The digest's "Pending approvals" line: requests waiting in the digest's scope (cluster and
namespace), the oldest of them, and those that expired unanswered in the digest's period —
from the approval records the shell's pipeline makes, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digest import render
from bot.digest.model import Digest, Waiting
from bot.digest.service import DigestMaker
from bot.pipeline import Message, Pipeline
from commands import default_registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render as text
from integrations.store.memory import MemoryStore
from tests.policies import shaped

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POLICY = shaped(
    {
        "roles": {"writer": {"commands": ["read", "write"], "cluster_wide": True}},
        "bindings": [{"name": "devs", "subjects": ["alice", "bob"], "roles": ["writer"], "direct_messages": "all"}],
        "approvals": [{"name": "reviewed", "commands": ["write"], "approvers": ["bob"], "expires": "1h"}],
    }
)


class Team:
    """Alice asks, Bob approves, at moments the test sets."""

    def __init__(self) -> None:
        self.now = START
        self.store = MemoryStore()
        self.cluster = SimulatedCluster.demo()
        self.pipeline = Pipeline(
            registry=default_registry(),
            policy=POLICY,
            clusters=Clusters([self.cluster], "demo"),
            store=self.store,
            clock=lambda: self.now,
        )

    def ask(self, text: str, *, user: str = "alice") -> str:
        reply = self.pipeline.handle(Message(user, "C-OPS", text))
        assert reply.ok, text
        found = next(r for r in self.pipeline.approvals.book.all() if r.command_line.startswith(text.split(" -n")[0]))
        return found.id

    def say(self, text: str, *, user: str = "bob") -> str:
        return text_of(self.pipeline.handle(Message(user, "C-OPS", text)))

    def digest(self, namespace: str | None, place: str = "C-DIGEST") -> Digest:
        return DigestMaker(Clusters([self.cluster], "demo"), self.store).make(place, None, namespace, now=self.now)


def text_of(reply: object) -> str:
    return text(reply)  # type: ignore[arg-type]


@pytest.fixture
def team() -> Team:
    return Team()


def test_waiting_oldest_and_expired_unanswered_per_scope(team: Team) -> None:
    forgotten = team.ask("scale web 5 -n shop")  # nobody answers: expires at 10:00
    team.now = START + timedelta(minutes=80)
    older = team.ask("scale checkout 2 -n shop")
    team.now += timedelta(minutes=5)
    team.ask("scale search 2 -n shop")
    refused = team.ask("restart worker -n payments")
    assert "is denied" in team.say(f"deny {refused} not today")
    team.now += timedelta(minutes=10)
    paying = team.ask("scale worker 3 -n payments")
    team.now += timedelta(minutes=15)  # 10:50

    shop = team.digest("shop").approvals
    assert (shop.pending, shop.expired) == (2, 1)
    assert shop.oldest == Waiting(
        older, START + timedelta(minutes=80), "scale checkout 2 --namespace shop --cluster demo"
    )
    payments = team.digest("payments").approvals
    assert (payments.pending, payments.expired) == (1, 0)  # the denied one is neither
    assert payments.oldest is not None and payments.oldest.id == paying
    everywhere = team.digest(None).approvals
    assert (everywhere.pending, everywhere.expired) == (3, 1) and everywhere.oldest == shop.oldest

    line = next(
        x for x in text(render.details(team.digest("shop", "C-OTHER"))).splitlines() if "Pending approvals" in x
    )
    assert line == (
        f"Pending approvals: 2 waiting; the oldest {older} (`scale checkout 2 --namespace shop --cluster demo`) "
        "for 30m; 1 expired unanswered since Sun 29 Nov 2026, 10:50 UTC (1d ago)"
    )
    assert team.pipeline.approvals.book.get(forgotten).state == "pending"  # type: ignore[union-attr]


def test_the_next_digest_counts_only_its_own_period(team: Team) -> None:
    team.ask("scale web 5 -n shop")
    team.now = START + timedelta(hours=2)
    assert team.digest("shop").approvals.expired == 1
    team.pipeline.approvals.sweep()  # settled as expired now: still counted once, in its period
    team.now += timedelta(hours=1)
    later = team.digest("shop")
    assert (later.approvals.pending, later.approvals.expired) == (0, 0)
    assert "Pending approvals: none waiting" in text(render.details(later))


def test_approved_requests_no_longer_wait(team: Team) -> None:
    approved = team.ask("scale web 5 -n shop")
    assert "was run as alice" in team.say(f"approve {approved}")
    assert team.digest("shop").approvals.pending == 0
    assert "5" in team.say("get deploy web -n shop", user="alice")
