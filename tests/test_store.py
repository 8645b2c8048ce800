"""One contract for both stores: the embedded one must behave exactly like Redis.

The Redis side runs against a real redis-server (tests/redis_server.py), never a fake.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from commands.errors import StoreUnavailable
from integrations.store.claims import claim, release
from integrations.store.memory import MemoryStore
from integrations.store.port import Change, Store
from integrations.store.redis_store import RedisStore


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    # A fresh prefix per test keeps tests apart on the shared server.
    real = RedisStore(url, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    yield real
    real.close()


def test_get_set_delete(store: Store) -> None:
    assert store.get("k") is None
    store.set("k", "v")
    assert store.get("k") == "v"
    store.set("k", "w")
    assert store.get("k") == "w"
    assert store.delete("k") is True
    assert store.delete("k") is False
    assert store.get("k") is None


def test_values_expire(store: Store) -> None:
    store.set("short", "v", ttl=0.2)
    assert store.get("short") == "v"
    time.sleep(0.35)
    assert store.get("short") is None


def test_a_claim_is_won_once_under_contention(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda i: claim(store, "event:Ev1", str(i), ttl=30), range(40)))
    assert wins.count(True) == 1
    assert store.get("event:Ev1") in {str(i) for i in range(40)}


def test_a_claim_can_be_taken_again_after_expiry_or_release(store: Store) -> None:
    assert claim(store, "lock", "a", ttl=0.2)
    assert not claim(store, "lock", "b", ttl=0.2)
    time.sleep(0.35)
    assert claim(store, "lock", "c", ttl=5)
    assert not release(store, "lock", "a")  # no longer a's: a's release leaves c's claim alone
    assert store.get("lock") == "c"
    assert release(store, "lock", "c") and claim(store, "lock", "d", ttl=5)


def test_update_is_atomic_under_contention(store: Store) -> None:
    """Two hundred read-modify-writes at once, from sixteen threads: none is lost."""

    def add_one(current: str | None) -> Change[int]:
        total = int(current or "0") + 1
        return Change(total, str(total))

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: store.update("counter", add_one), range(200)))
    assert store.get("counter") == "200"
    assert sorted(results) == list(range(1, 201))  # each saw a value nobody else saw


def test_update_can_keep_delete_and_expire(store: Store) -> None:
    store.set("k", "v", ttl=30)
    assert store.update("k", lambda current: Change.unchanged(current)) == "v"
    assert store.get("k") == "v"
    assert store.update("k", lambda current: Change("gone")) == "gone"
    assert store.get("k") is None
    store.update("short", lambda _: Change(None, "x", ttl=0.2))
    assert store.get("short") == "x"
    time.sleep(0.35)
    assert store.get("short") is None


def test_a_failing_change_writes_nothing(store: Store) -> None:
    store.set("k", "v")

    def refuse(current: str | None) -> Change[None]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.update("k", refuse)
    assert store.get("k") == "v"


def test_a_failing_change_leaves_the_expiry_and_an_absent_key_as_they_were(store: Store) -> None:
    def refuse(current: str | None) -> Change[None]:
        raise RuntimeError("refused")

    store.set("short", "v", ttl=0.3)
    with pytest.raises(RuntimeError):
        store.update("short", refuse)
    with pytest.raises(RuntimeError):
        store.update("absent", refuse)
    assert store.get("short") == "v" and store.get("absent") is None
    time.sleep(0.45)
    assert store.get("short") is None  # its expiry too
    assert store.update("short", lambda _: Change("next", "w")) == "next"  # and the store goes on working
    assert store.get("short") == "w"


def test_update_keeps_or_replaces_the_expiry_as_the_change_says(store: Store) -> None:
    """`keep` leaves the expiry; a written value gets the change's ttl, and ttl None means none."""
    store.set("kept", "v", ttl=0.3)
    store.set("replaced", "v", ttl=0.3)
    store.set("shortened", "v", ttl=30)
    assert store.update("kept", Change.unchanged) == "v"
    store.update("replaced", lambda current: Change(None, f"{current}+"))
    store.update("shortened", lambda current: Change(None, f"{current}+", ttl=0.3))
    time.sleep(0.45)
    assert store.get("kept") is None
    assert store.get("replaced") == "v+"  # written without a ttl: kept for good
    assert store.get("shortened") is None


def _key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


def test_stream_entries_keep_their_order_under_increasing_ids(store: Store) -> None:
    ids = [store.stream_add("audit", f"e{i}", max_len=1000) for i in range(5)]
    assert len(set(ids)) == 5 and ids == sorted(ids, key=_key)
    assert [v for _, v in store.stream_range("audit", count=10)] == ["e0", "e1", "e2", "e3", "e4"]
    assert [v for _, v in store.stream_range("audit", count=2, newest_first=True)] == ["e4", "e3"]
    assert store.stream_range("audit", start=f"({ids[1]}", end=ids[3]) == list(zip(ids[2:4], ["e2", "e3"], strict=True))
    assert store.stream_range("nothing") == []


def test_stream_ranges_by_time_use_the_ids(store: Store) -> None:
    store.stream_add("audit", "before", max_len=1000)
    time.sleep(0.01)
    start = int(time.time() * 1000)
    store.stream_add("audit", "during-1", max_len=1000)
    store.stream_add("audit", "during-2", max_len=1000)
    end = int(time.time() * 1000)
    time.sleep(0.01)
    store.stream_add("audit", "after", max_len=1000)
    during = store.stream_range("audit", start=str(start), end=str(end), count=100)
    assert [v for _, v in during] == ["during-1", "during-2"]
    newest = store.stream_range("audit", start=str(start), end=str(end), count=1, newest_first=True)
    assert [v for _, v in newest] == ["during-2"]


def test_streams_are_bounded_approximately_but_keep_the_newest(store: Store) -> None:
    for i in range(600):
        store.stream_add("audit", f"e{i}", max_len=100)
    kept = store.stream_range("audit", count=10_000)
    assert 100 <= len(kept) < 300  # `MAXLEN ~`: whole blocks are trimmed, never the newest 100
    assert [v for _, v in kept[-100:]] == [f"e{i}" for i in range(500, 600)]


def test_streams_drop_entries_older_than_the_retention(store: Store) -> None:
    for i in range(500):
        store.stream_add("audit", f"old{i}", max_len=100_000)
    time.sleep(0.01)
    cut = str(int(time.time() * 1000))
    store.stream_add("audit", "new", max_len=100_000, min_id=cut)
    kept = store.stream_range("audit", count=10_000)
    assert kept[-1][1] == "new"
    assert len(kept) < 200  # `MINID ~`: old blocks are gone, the newest entries never


def test_invalid_ttl_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        store.set("k", "v", ttl=0)
    assert store.get("k") is None


def test_redis_state_survives_a_new_connection(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    RedisStore(redis_url, prefix=prefix).set("kept", "yes")
    assert RedisStore(redis_url, prefix=prefix).get("kept") == "yes"
    assert redis.Redis.from_url(redis_url, decode_responses=True).get(prefix + "kept") == "yes"


def test_unreachable_redis_is_a_clear_error_without_the_password() -> None:
    from tests.redis_server import free_port

    store = RedisStore(f"redis://:s3cret@127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(StoreUnavailable) as e:
        store.ping()
    assert "cannot be used" in str(e.value)
    assert "s3cret" not in str(e.value)
    assert "***" in str(e.value)
