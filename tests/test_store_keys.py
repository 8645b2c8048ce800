"""Store keys: one helper builds them all; no two different part tuples give the same key, and
the keys an older release wrote are still the ones read (state in Redis outlives an upgrade)."""

from __future__ import annotations

import inspect
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import wiring
from bot.approvals import book
from bot.audit import AUDIT_STREAM
from bot.conversation import Conversations
from bot.defaults import Defaults, DefaultsStore
from bot.digest import schedules
from bot.digest.model import Scope
from bot.digest.snapshots import Snapshots
from bot.digest.wiring import scheduled
from bot.locks import store as locks
from bot.locks.record import Lock
from bot.settings import Settings
from bot.slack.jobs import Job, ReplyTo, working_key
from commands.replies import Reply
from integrations.scheduler.leader import RedisLeader
from integrations.store import keys
from integrations.store.memory import MemoryStore
from integrations.store.redis_store import RedisStore

NAMESPACES = st.sampled_from(["approval", "audit", "conversation", "defaults", "digest", "slack"])
# Text rich in what a key must keep apart: separators, escapes and what escapes look like.
PARTS = st.lists(
    st.text(alphabet=st.sampled_from([":", "%", "3", "A", "2", "5", "a", "@", "*"]), max_size=6), max_size=5
)


@settings(max_examples=2000, database=None)
@given(NAMESPACES, PARTS)
def test_a_key_gives_back_exactly_the_parts_it_was_made_of(namespace: keys.Namespace, parts: list[str]) -> None:
    assert keys.split(keys.key(namespace, *parts)) == (namespace, *parts)


@settings(max_examples=2000, database=None)
@given(NAMESPACES, PARTS)
def test_parts_that_joining_with_colons_would_confuse_give_different_keys(
    namespace: keys.Namespace, parts: list[str]
) -> None:
    """The tuple a plain `":".join` could not tell from this one (`a:b`, `c` against `a`, `b:c`)."""
    confusable = ":".join(parts).split(":") if parts else [""]
    if confusable != parts:
        assert keys.key(namespace, *parts) != keys.key(namespace, *confusable)


@pytest.mark.parametrize(
    ("these", "those"),
    [
        (("a:b", "c"), ("a", "b:c")),  # the separator inside a part
        (("a:b",), ("a", "b")),
        ((), ("",)),  # an empty part is still a part
        (("", ""), ("",)),
        (("%",), ("",)),  # the empty marker itself
        (("%3A",), (":",)),  # what an escape looks like
        (("%25",), ("%",)),
    ],
)
def test_parts_that_flat_joining_would_confuse_stay_apart(these: tuple[str, ...], those: tuple[str, ...]) -> None:
    assert keys.key("digest", *these) != keys.key("digest", *those)
    assert keys.split(keys.key("digest", *these)) == ("digest", *these)


def test_plain_parts_are_written_as_they_are() -> None:
    """So every key this release builds is the one older releases wrote, byte for byte."""
    job = Job("U0ALICE01", "C0OPS0001", "scale web 3", ("event", "Ev0123ABC"), ReplyTo(channel="C0OPS0001"))
    assert [
        keys.key("defaults", "U0ALICE01"),
        Conversations.key("C0OPS0001", "1700000000.000100", "U0ALICE01"),
        Conversations.key("C0OPS0001", None, "U0ALICE01"),
        schedules.KEY,
        schedules.VERSION_KEY,
        working_key(job),
        keys.key("slack", "seen", "event", "Ev0123ABC"),
        keys.key("slack", "name", "channel", "C0OPS0001"),
        AUDIT_STREAM,
        inspect.signature(RedisLeader).parameters["key"].default,
        book.record_key("A-7K2Q"),
        book.message_key("C0OPS0001", "1700000000.000100"),
        book.confirm_key("C0OPS0001", "U0ALICE01"),
        book.OPEN_KEY,
        locks.key("demo", "shop", "deployment", "web"),
        locks.key("demo"),
    ] == [
        "defaults:U0ALICE01",
        "conversation:C0OPS0001:1700000000.000100",
        "conversation:C0OPS0001:@U0ALICE01",
        "digest:schedules",
        "digest:schedules:version",
        "slack:working:event:Ev0123ABC",
        "slack:seen:event:Ev0123ABC",
        "slack:name:channel:C0OPS0001",
        "audit",
        "pilothouse:leader:scheduler",
        "approval:A-7K2Q",
        "approval:message:C0OPS0001:1700000000.000100",
        "approval:confirm:C0OPS0001:U0ALICE01",
        "approvals:open",
        "lock:demo:shop:deployment/web",
        "locks:demo",
    ]


def test_state_an_older_release_wrote_is_read_after_the_upgrade(redis_url: str) -> None:
    prefix = f"upgrade-{uuid.uuid4().hex[:8]}:"
    store = RedisStore(redis_url, prefix=prefix)
    store.set("defaults:U0ALICE01", json.dumps({"cluster": "prod", "namespace": "shop"}))
    snapshot = {"at": "2024-03-01T09:00:00+00:00", "problems": {"pod/web-1": ["pod/web-1", "CrashLoopBackOff"]}}
    store.set("digest:snapshot:C0OPS0001:demo:*", json.dumps(snapshot))
    again = RedisStore(redis_url, prefix=prefix)  # the new release, restarted
    assert DefaultsStore(again).get("U0ALICE01") == Defaults("prod", "shop")
    found = Snapshots(again).get("C0OPS0001", Scope("demo", None))
    assert found is not None and found.problems["pod/web-1"].text == "CrashLoopBackOff"
    assert Snapshots(again).get("C0OPS0001", Scope("demo", "shop")) is None  # another scope, another key


def test_a_cluster_named_with_colons_no_longer_shares_a_snapshot_with_another_place() -> None:
    """`arn:aws:eks:…` contexts: before, place `C1:arn` with cluster `aws` wrote the same key."""
    store = MemoryStore()
    snapshots = Snapshots(store)
    store.set(keys.key("digest", "snapshot", "C1", "arn:aws:eks:eu-west-1:123:cluster/prod", "*"), "{}")
    assert snapshots.get("C1:arn", Scope("aws:eks:eu-west-1:123:cluster/prod", None)) is None


class Posted:
    def __init__(self) -> None:
        self.posts: list[str] = []

    def post(self, channel: str, digest: Reply) -> None:
        self.posts.append(channel)


def test_a_fire_time_an_older_release_claimed_is_not_posted_again() -> None:
    """Fire times hold `:`, so their claim's key changed: the old one is claimed as well, and a
    replica of the older release (a rolling upgrade, a rollback) and this one never both post."""
    app = wiring.build(Settings(), user="nobody")
    now = datetime.now(UTC).replace(microsecond=0)
    schedule = schedules.ScheduleBook(app.store).add(
        channel="C0OPS0001", cron="0 9 * * *", tz="UTC", cluster="demo", namespace="shop", by="U0A", now=now
    )
    poster = Posted()
    digests = scheduled(app, poster, "new-replica")
    old_claim = f"digest:fired:{schedule.id}:{now.isoformat()}"  # as the older release wrote it
    app.store.set(old_claim, "old-replica", ttl=60)
    assert not digests.fire(schedule.id, now)
    assert poster.posts == []

    later = now + timedelta(days=1)
    assert digests.fire(schedule.id, later)
    assert app.store.get(keys.key("digest", "fired", schedule.id, later.isoformat())) == "new-replica"
    assert app.store.get(f"digest:fired:{schedule.id}:{later.isoformat()}") == "new-replica"  # what old ones check
    assert not digests.fire(schedule.id, later) and poster.posts == ["C0OPS0001"]


def test_locks_on_a_cluster_named_with_colons_are_listed_as_they_were_taken() -> None:
    cluster = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    now = datetime.now(UTC)
    book = locks.Locks(MemoryStore())
    wanted = Lock(cluster, "shop", "deployments", "web", "U0ALICE01", "alice", now, now + timedelta(hours=1))
    assert not book.take(wanted, steal=False).refused
    assert book.listed(cluster, now) == [wanted]
    assert book.held(cluster, "shop", "deployments", "web") == wanted
