"""Production Redis: TLS (rediss://, with a CA file) and Redis Sentinel, against real processes:
redis-server with a test CA's certificate, and a master + replica + redis-sentinel on loopback
where the master is killed and the bot carries on with the promoted replica."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import wiring
from bot.digest.wiring import leadership
from bot.ops import Readiness
from bot.pipeline import Message
from bot.settings import Settings
from commands.errors import ConfigError, StoreUnavailable
from integrations.render.text import render
from integrations.store.connection import RedisTarget, parse_sentinels
from integrations.store.redis_store import RedisStore
from tests.redis_server import SentinelSetup, TlsRedis, free_port, sentinel_setup, tls_redis_server

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def tls() -> Iterator[TlsRedis]:
    with tls_redis_server() as server:
        yield server


def test_rediss_with_the_ca_file_keeps_state(tls: TlsRedis) -> None:
    store = wiring.build_store(Settings(redis_url=tls.url, redis_ca_file=tls.ca_file))
    store.set("tls-test", "kept")
    assert RedisStore(RedisTarget(tls.url, ca_file=tls.ca_file)).get("tls-test") == "kept"


def test_rediss_with_the_wrong_ca_is_refused_clearly(tls: TlsRedis) -> None:
    with pytest.raises(StoreUnavailable) as e:
        wiring.build_store(Settings(redis_url=tls.url, redis_ca_file=tls.other_ca_file))
    assert "certificate verify failed" in str(e.value) and tls.url in str(e.value)


def test_a_ca_file_without_tls_is_a_configuration_error(tls: TlsRedis) -> None:
    with pytest.raises(ConfigError, match="not rediss://"):
        wiring.build_store(Settings(redis_url="redis://127.0.0.1:6379/0", redis_ca_file=tls.ca_file))


def test_the_password_setting_is_used_and_never_shown() -> None:
    target = wiring.redis_target(Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_password="pa$$:w/rd@x"))
    assert target is not None and target.password == "pa$$:w/rd@x"
    with pytest.raises(StoreUnavailable) as e:
        RedisStore(target, timeout=0.5).ping()
    assert "pa$$" not in str(e.value)
    with pytest.raises(ConfigError, match="given twice"):
        wiring.build_store(Settings(redis_url="redis://:a@127.0.0.1:1/0", redis_password="b"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s1:26379, s2:26380", (("s1", 26379), ("s2", 26380))),
        ("sentinel", (("sentinel", 26379),)),
        ("", ()),
    ],
)
def test_sentinels_are_read_as_host_port(text: str, expected: tuple[tuple[str, int], ...]) -> None:
    assert parse_sentinels(text) == expected


@pytest.mark.parametrize("text", ["s1:port", "s1:0", ":26379", "s1:26379:1"])
def test_bad_sentinels_are_named(text: str) -> None:
    with pytest.raises(ConfigError, match="is not HOST:PORT"):
        parse_sentinels(text)


def test_sentinels_need_a_url_naming_the_service() -> None:
    with pytest.raises(ConfigError, match="names the Sentinel service"):
        wiring.build_store(Settings(redis_sentinels="127.0.0.1:26379"))


# --- Sentinel failover -----------------------------------------------------------------------------


@pytest.fixture
def sentinel() -> Iterator[SentinelSetup]:
    with sentinel_setup() as setup:
        yield setup


def until(condition: Callable[[], bool], timeout: float = 30, what: Callable[[], object] = lambda: "") -> float:
    """Seconds until `condition` held (it is tried every 0.2 s); fails after `timeout`, saying `what()`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"timed out: {what()}"
        time.sleep(0.2)
    return time.monotonic() - start


def test_a_sentinel_failover_keeps_the_bot_working(sentinel: SentinelSetup, tmp_path: Path) -> None:
    # A sentinel that is down comes first: the client must go on to the next one.
    settings = Settings(
        redis_url="redis://mymaster/0",
        redis_sentinels=f"127.0.0.1:{free_port()},{sentinel.sentinels}",
        leader_election="redis",
        leader_ttl=3,
    )
    app = wiring.build(settings, user="alice")

    def say(text: str) -> str:
        return render(app.pipeline.handle(Message("alice", "C-OPS", text)))

    assert "payments" in say("use -n payments")
    leader = leadership(app)
    leading: list[str] = []
    leader.start(lambda: leading.append("on"), lambda: leading.append("off"))
    until(lambda: leader.leading)
    sentinel.wait_for_replica()  # replication is asynchronous: what the master had not sent is lost
    old_master = sentinel.master.port

    sentinel.master.kill()
    # Meanwhile every message is answered: rightly, once the client finds the promoted replica
    # (commands are retried on fresh connections), or with a clear store error, never a crash.
    answers = []
    until(
        lambda: answers.append(say("use")) or "Namespace: payments" in answers[-1],
        what=lambda: f"{len(answers)} answers, the last: {answers[-1]!r}; the master: {sentinel.master_port()}",
    )
    assert all("Namespace: payments" in a or "state store" in a for a in answers), answers
    assert sentinel.master_port() == sentinel.replica.port != old_master

    # The same app, no restart: state written before the failover is there, new writes land.
    assert "shop" in say("use -n shop")
    assert sentinel.replica.client().keys("pilothouse:*")  # on the promoted replica itself
    assert Readiness(app.store).check() == (True, {"store": "ok"})
    # The scheduler's leader lock lives in the same Redis: a leader exists again.
    until(lambda: leader.leading)
    leader.stop()
    assert leading[0] == "on"
