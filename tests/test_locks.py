"""Deploy locks, as people use them: Carol locks `web`, Dan's changes to it are refused (saying
who holds it, why, since when, until when), Carol's are not; only `lock --steal`, a permission of
its own (Erin's), takes it over; locks expire. Against the embedded store and a real
redis-server shared by two pipelines, as two bot replicas share it."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import redis

from bot.audit import AuditLog
from bot.handlers.describe import fetch
from commands.errors import StoreUnavailable
from commands.replies import Table
from integrations.cluster import resources
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from integrations.store.port import Store
from integrations.store.redis_store import RedisStore
from tests.chat import Chat, chat
from tests.policies import shaped
from tests.redis_server import redis_server

POLICY = shaped(
    {
        "roles": {
            "deployer": {"commands": ["read", "deploy", "scale", "restart", "lock", "unlock"], "cluster_wide": True},
            "lock-breaker": {"commands": ["lock --steal"]},
        },
        "bindings": [
            {"name": "deployers", "subjects": ["carol", "dan", "erin"], "roles": ["deployer"]},
            {"name": "breakers", "subjects": ["erin"], "roles": ["lock-breaker"]},
        ],
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def team(store: Store | None = None, clock: Clock | None = None) -> dict[str, Chat]:
    cluster = SimulatedCluster.demo()
    pipeline = chat(cluster, policy=POLICY, store=store or MemoryStore(), clock=clock).pipeline
    return {name: Chat(pipeline, user=name) for name in ("carol", "dan", "erin")}


def test_a_lock_stops_everyone_but_its_owner() -> None:
    clock = Clock()
    people = team(clock=clock)
    carol, dan = people["carol"], people["dan"]
    assert "Locked `web` in namespace `shop` on `demo`" in carol.say("lock web --for 1h --reason 'load test'")
    clock.now += timedelta(minutes=10)
    text = dan.say("deploy web nginx:1.27")
    assert text.startswith(
        "✖ You may not run `deploy` in namespace `shop` on `demo` from here: `web` is locked by carol "
        "10m ago, for 50m more: load test."
    )
    assert "Decided by deploy lock `deploy-lock`." in text and "`lock web --steal` takes it over" in text
    for change in ("scale web 2", "restart deploy/web", "unlock web", "lock web"):
        assert "`web` is locked by carol" in dan.say(change), change
    assert "Scaled `checkout`" in dan.say("scale checkout 2")  # only that workload is locked
    assert "Deploying `nginx:1.27`" in carol.say("deploy web nginx:1.27")  # the owner still deploys
    assert not dan.say("get pods").startswith("✖")  # reads are never locked
    assert "Unlocked `web`" in carol.say("unlock web")
    assert "Deploying `nginx:1.28`" in dan.say("deploy web nginx:1.28")


def test_taking_your_own_lock_again_extends_it() -> None:
    clock = Clock()
    carol = team(clock=clock)["carol"]
    carol.say("lock web --for 30m --reason 'release'")
    clock.now += timedelta(minutes=20)
    text = carol.say("lock web --for 2h")
    assert "Extended your lock on `web`" in text and "Reason: release" in text
    assert "Until:  2026-03-25 14:20 UTC (in 2h)" in text


def test_stealing_is_explicit_and_its_own_permission() -> None:
    people = team()
    carol, dan, erin = people["carol"], people["dan"], people["erin"]
    carol.say("lock sts/db -n data --reason 'schema migration'")
    text = dan.say("lock sts/db -n data --steal")
    assert text.startswith("✖ You may not run `lock --steal` in namespace `data` on `demo` from here")
    assert "`sts/db` is locked by carol" in erin.say("scale sts/db 2 -n data")  # no silent stealing
    text = erin.say("lock statefulset/db -n data --steal --reason 'carol is away; hotfix'")
    assert "Took over the lock on `sts/db` in namespace `data` on `demo` from carol" in text
    assert "Was held by: carol for 0s: schema migration" in text
    assert "`sts/db` is locked by erin" in carol.say("scale sts/db 2 -n data")
    stolen = [r for r in AuditLog(carol.pipeline.store).recent(10) if r.command == "lock --steal"]
    assert [(r.user, r.outcome, r.args.get("steal")) for r in stolen] == [("erin", "ok", True), ("dan", "denied", True)]


def test_locks_lists_owner_reason_age_and_expiry() -> None:
    clock = Clock()
    people = team(clock=clock)
    people["carol"].say("lock web --reason 'load test'")
    clock.now += timedelta(minutes=5)
    people["dan"].say("lock sts/db -n data --for 1d")
    people["dan"].say("locks")
    rows = [row for b in people["dan"].last.blocks if isinstance(b, Table) for row in b.rows]
    assert rows == [("web", "carol", "load test", "5m", "2026-03-25 14:00 UTC (in 1h55m)")]
    people["dan"].say("locks -A")
    rows = [row for b in people["dan"].last.blocks if isinstance(b, Table) for row in b.rows]
    assert rows == [
        ("web", "shop", "carol", "load test", "5m", "2026-03-25 14:00 UTC (in 1h55m)"),
        ("sts/db", "data", "dan", "-", "0s", "2026-03-26 12:05 UTC (in 1d)"),
    ]
    assert "No deploy locks in namespace `payments` on `demo`." in people["dan"].say("locks -n payments")


def test_a_lock_expires_by_the_clock_and_by_the_stores_own_ttl() -> None:
    clock = Clock()
    people = team(clock=clock)
    people["carol"].say("lock web --for 30m")
    clock.now += timedelta(minutes=31)  # the key still exists; the policy sees the lock is over
    assert "Deploying" in people["dan"].say("deploy web nginx:1.27")
    real = team()  # the real clock, and the store's TTL
    real["carol"].say("lock web --for 1s")
    assert "`web` is locked by carol" in real["dan"].say("scale web 2")
    threading.Event().wait(1.2)
    assert "No deploy locks" in real["dan"].say("locks")
    assert "Scaled `web`" in real["dan"].say("scale web 2")


def test_bad_input_gets_a_clear_answer() -> None:
    carol = team()["carol"]
    assert "`8d` is too long: at most 7d" in carol.say("lock web --for 8d")
    assert "`soon` is not a duration" in carol.say("lock web --for soon")
    assert "deployment `wbe` not found in namespace `shop`" in carol.say("lock wbe")
    assert "`pod/` is not a workload kind" in carol.say("lock pod/web")
    assert "`web` in namespace `shop` on `demo` is not locked; nothing to do." in carol.say("unlock web")
    assert "use either `-n NAMESPACE` or `-A`, not both" in carol.say("locks -A -n shop")


def test_two_replicas_share_locks_in_redis_and_one_of_many_wins() -> None:
    with redis_server() as url:
        first, second = team(RedisStore(url)), team(RedisStore(url))
        assert "Locked `web`" in first["carol"].say("lock web --reason 'release 42'")
        assert "`web` is locked by carol" in second["dan"].say("deploy web nginx:1.27")
        assert "carol" in second["erin"].say("locks")
        assert "Unlocked" in first["carol"].say("unlock web")

        results: list[str] = []
        start = threading.Barrier(8)

        def grab(people: dict[str, Chat], who: str) -> None:
            start.wait()
            results.append(people[who].say("lock web"))

        threads = [
            threading.Thread(target=grab, args=(replica, who))
            for replica in (first, second)
            for who in ("carol", "dan", "carol", "dan")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [r for r in results if r.startswith("Locked `web`")]
        assert len(won) == 1, results
        winner = "carol" if "Owner:  carol" in won[0] else "dan"
        loser = "dan" if winner == "carol" else "carol"
        assert all(r.startswith(("Extended", "Locked")) or f"locked by {winner}" in r for r in results), results
        assert f"`web` is locked by {winner}" in first[loser].say("scale web 2")


class LockKeysUnreadable(MemoryStore):
    """The embedded store, with the lock keys' reads failing as an unreachable Redis fails."""

    def get(self, key: str) -> str | None:
        if key.startswith("lock:"):
            raise StoreUnavailable("The state store at redis://… cannot be used: TimeoutError")
        return super().get(key)


def test_a_store_that_cannot_say_refuses_the_change() -> None:
    text = team(LockKeysUnreadable())["dan"].say("deploy web nginx:1.27")
    assert text.startswith(
        "✖ Could not check whether `web` is locked, so the change is refused; nothing was changed. "
        "The state store at redis://… cannot be used: TimeoutError"
    )
    with redis_server() as url:
        people = team(RedisStore(url, timeout=0.5))
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(url).shutdown(nosave=True)  # the store goes away
        text = people["dan"].say("deploy web nginx:1.27")
        assert text.startswith("✖ The state store at redis://127.0.0.1:") and "cannot be used" in text
        web = fetch(people["dan"].pipeline.clusters.get("demo"), resources.WORKLOADS["deployments"], "shop", "web")
        assert [c["image"] for c in web["spec"]["template"]["spec"]["containers"]] == ["nginx:1.25.3"]
