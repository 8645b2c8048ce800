"""Scheduled digests end to end: two replicas sharing one real redis-server post to the fake
Slack, each fire time exactly once, by whichever replica leads; a partitioned leader hands
over within the lock's TTL and a missed fire is posted once, late; a schedule set from chat
survives a restart. The schedule fires every 2 s here (cron itself counts in minutes)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot import wiring
from bot.digest.wiring import scheduled_digests
from bot.message import Message
from bot.settings import Settings
from bot.slack.digests import SlackPoster
from integrations.scheduler.leader import RedisLeader
from integrations.scheduler.runner import LeaderScheduler
from integrations.store import keys
from tests.demo_seed import wait_for
from tests.slack.web_api import Call, FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

TOKEN = "xoxb-digest-test"
CHANNEL = "C0DIGEST1"
PERIOD = 2


def every_two_seconds(cron: str, tz: str) -> CronTrigger:
    return CronTrigger(second=f"*/{PERIOD}", timezone=tz)


@dataclass
class Replica:
    app: wiring.App
    scheduler: LeaderScheduler

    @property
    def leading(self) -> bool:
        return self.scheduler.leader.leading

    def say(self, text: str) -> str:
        from integrations.render.text import render

        return render(self.app.pipeline.handle(Message("U0ALICE01", CHANNEL, text)))


@pytest.fixture
def url(redis_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A Redis database of this test's own, emptied afterwards: other tests' bots must not see its schedules."""
    own = redis_url.rsplit("/", 1)[0] + "/3"
    yield own
    redis.Redis.from_url(own).flushdb()


@pytest.fixture
def settings(fake_slack: FakeSlackWebAPI, url: str, tmp_path: Path) -> Callable[..., Settings]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "roles:\n  digests: {commands: ['digest *'], cluster_wide: true}\n"
        "bindings:\n  - {name: alice-digests, subjects: [U0ALICE01], roles: [digests]}\n"
    )

    def make(**extra: Any) -> Settings:
        return Settings(
            redis_url=url,
            slack_bot_token=TOKEN,
            slack_api_url=fake_slack.api_url,
            policy_file=policy,
            leader_ttl=3,
            digest_late_after=0.5,
            **extra,
        )

    return make


@contextmanager
def replica(settings: Settings, fake: FakeSlackWebAPI) -> Iterator[Replica]:
    app = wiring.build(settings, user="nobody")
    poster = SlackPoster(WebClient(token=TOKEN, base_url=fake.api_url))
    scheduler = scheduled_digests(app, poster, sync_every=0.3, make_trigger=every_two_seconds)
    scheduler.start()
    try:
        yield Replica(app, scheduler)
    finally:
        scheduler.stop()


def summaries(fake: FakeSlackWebAPI) -> list[Call]:
    return [
        c for c in fake.calls("chat.postMessage") if c.args.get("channel") == CHANNEL and not c.args.get("thread_ts")
    ]


def threads(fake: FakeSlackWebAPI) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage") if c.args.get("channel") == CHANNEL and c.args.get("thread_ts")]


def claimed(url: str) -> list[datetime]:
    found = redis.Redis.from_url(url, decode_responses=True).keys(keys.PREFIX + keys.key("digest", "fired", "*"))
    claims = [keys.split(k.removeprefix(keys.PREFIX)) for k in found]
    # (digest, fired, schedule, fire time); the unescaped twin claims, for older releases, split further.
    return sorted(datetime.fromisoformat(c[3]) for c in claims if len(c) == 4)


# Fast polling: some waits aim at a 0.2 s window within the 2 s period.
wait_until = partial(wait_for, timeout=20, poll=0.05)


def assert_each_fire_time_posted_once(fake: FakeSlackWebAPI, url: str) -> list[float]:
    """Every claimed fire time posted once (summary + thread); returns the gaps between fire times."""
    time.sleep(1.0)  # let a run in flight finish posting its thread
    fires = claimed(url)
    assert len(summaries(fake)) == len(fires), "a fire time was posted twice, or claimed and not posted"
    assert len(threads(fake)) == len(fires)  # the details, in each summary's thread
    return [(b - a).total_seconds() for a, b in itertools.pairwise(fires)]


def test_two_replicas_post_each_fire_time_exactly_once(
    fake_slack: FakeSlackWebAPI, settings: Callable[..., Settings], url: str
) -> None:
    with replica(settings(), fake_slack) as one, replica(settings(), fake_slack) as two:
        wait_until(lambda: one.leading or two.leading, "a leader")
        assert "Scheduled." in one.say('digest schedule "* * * * *" -n shop')
        wait_until(lambda: len(summaries(fake_slack)) >= 4, "4 digests")
        assert [one.leading, two.leading].count(True) == 1
    gaps = assert_each_fire_time_posted_once(fake_slack, url)
    assert len(gaps) >= 3 and set(gaps) == {PERIOD}  # none missed
    first = summaries(fake_slack)[0]
    assert "Digest of namespace `shop` on `demo`" in first.args["text"]
    assert "checkout" in str(threads(fake_slack)[0].args["blocks"])


def test_a_partitioned_leader_stops_at_once_and_the_other_takes_over(
    fake_slack: FakeSlackWebAPI, settings: Callable[..., Settings], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with replica(settings(), fake_slack) as one, replica(settings(), fake_slack) as two:
        wait_until(lambda: one.leading or two.leading, "a leader")
        one.say('digest schedule "* * * * *" -n shop')
        wait_until(lambda: len(summaries(fake_slack)) >= 2, "2 digests")
        leader, follower = (one, two) if one.leading else (two, one)
        lock = leader.scheduler.leader
        assert isinstance(lock, RedisLeader)

        def unreachable(*args: Any, **kwargs: Any) -> Any:
            raise redis.ConnectionError("network partition (test)")

        # The leader can no longer reach its lock (but still its store): it must stop scheduling at once.
        monkeypatch.setattr(lock._redis, "eval", unreachable)
        monkeypatch.setattr(lock._redis, "set", unreachable)
        cut = time.monotonic()
        wait_until(lambda: not leader.leading and not leader.scheduler.job_ids, "the old leader to stop")
        assert time.monotonic() - cut < 2  # one missed extension, not the TTL
        wait_until(lambda: follower.leading, "the follower to lead")
        assert time.monotonic() - cut < 3 + 2  # within the lock's TTL (3 s) and a retry
        before = len(summaries(fake_slack))
        wait_until(lambda: len(summaries(fake_slack)) >= before + 2, "2 digests from the new leader")
    gaps = assert_each_fire_time_posted_once(fake_slack, url)
    # Fires missed while nobody led collapse into one (coalesce): at most one wider gap, at most one late post.
    assert all(g == PERIOD for g in gaps if g != max(gaps))
    assert len([c for c in summaries(fake_slack) if "Posted late (scheduled" in str(c.args["blocks"])]) <= 1


def test_a_schedule_set_from_chat_survives_a_restart_and_stops_when_turned_off(
    fake_slack: FakeSlackWebAPI, settings: Callable[..., Settings], url: str
) -> None:
    with replica(settings(), fake_slack) as first:
        text = first.say('digest schedule "0 9 * * 1-5" --tz Europe/Berlin')
        schedule = text.split("`")[1]
    posted = len(summaries(fake_slack))
    with replica(settings(), fake_slack) as restarted:
        assert schedule in restarted.say("digest list")
        wait_until(lambda: schedule in restarted.scheduler.job_ids, "the job rebuilt from Redis")
        wait_until(lambda: len(summaries(fake_slack)) >= posted + 2, "digests after the restart")
        assert f"Digest `{schedule}`" in restarted.say(f"digest off {schedule}")
        wait_until(lambda: not restarted.scheduler.job_ids, "the job removed on its own")
        time.sleep(0.5)  # a run already under way may still post
        stopped_at = len(summaries(fake_slack))
        time.sleep(PERIOD + 1)
        assert len(summaries(fake_slack)) == stopped_at


def test_a_fire_missed_before_leadership_is_posted_once_late_and_says_so(
    fake_slack: FakeSlackWebAPI, settings: Callable[..., Settings], url: str
) -> None:
    with replica(settings(), fake_slack) as first:
        first.say('digest schedule "* * * * *" -n payments')
        wait_until(lambda: len(summaries(fake_slack)) >= 1, "a digest")
    # Nobody leads across the next fire time; the next leader starts 1 s after a fire time (later
    # than `digest_late_after`), finds that fire due, and posts it once, late, saying so.
    time.sleep(PERIOD + 0.5)
    wait_until(lambda: 1.0 <= time.time() % PERIOD <= 1.2, "1 s after a fire time")
    before = len(summaries(fake_slack))
    with replica(settings(), fake_slack) as second:
        wait_until(lambda: len(summaries(fake_slack)) > before, "the missed fire posted")
        late = summaries(fake_slack)[before]
        assert "Posted late (scheduled" in str(late.args["blocks"])
        assert second.leading
    assert_each_fire_time_posted_once(fake_slack, url)


def test_the_leader_election_follows_the_settings(url: str) -> None:
    from bot.digest.wiring import leadership
    from commands.errors import ConfigError
    from integrations.scheduler.leader import SoleLeader

    assert isinstance(leadership(wiring.build(Settings(), user="me")), SoleLeader)  # one process, in memory
    shared = leadership(wiring.build(Settings(redis_url=url), user="me"))
    assert isinstance(shared, RedisLeader)
    shared.stop()
    with pytest.raises(ConfigError, match="PILOTHOUSE_LEADER_ELECTION=redis needs PILOTHOUSE_REDIS_URL"):
        leadership(wiring.build(Settings(leader_election="redis"), user="me"))
    with pytest.raises(ConfigError, match="needs a real cluster"):
        leadership(wiring.build(Settings(leader_election="lease"), user="me"))


def test_the_slack_bot_runs_the_scheduler_from_start_to_stop(
    fake_slack: FakeSlackWebAPI, settings: Callable[..., Settings]
) -> None:
    from bot.slack import run

    config = settings(slack_signing_secret="s3cret", http_host="127.0.0.1", http_port=0)
    app = wiring.build(config, user="nobody")
    bot = run.build(app).start()
    try:
        assert bot.digests is not None
        wait_until(lambda: bot.digests is not None and bot.digests.leader.leading, "the bot to lead")
        reply = app.pipeline.handle(Message("U0ALICE01", CHANNEL, 'digest schedule "0 9 * * 1-5" -n shop'))
        schedule = str(reply.blocks[0]).split("`")[1]
        wait_until(lambda: bot.digests is not None and schedule in bot.digests.job_ids, "the new job")
    finally:
        bot.stop()
    assert not bot.digests.leader.leading and bot.digests.job_ids == set()


def test_a_schedule_that_cannot_be_read_does_not_stop_the_others() -> None:
    from integrations.scheduler.leader import SoleLeader
    from integrations.scheduler.runner import JobSpec

    specs = [JobSpec("d-000001", "0 9 * * *", "Mars/Olympus_Mons"), JobSpec("d-000002", "0 9 * * *", "UTC")]
    version = ["1"]
    scheduler = LeaderScheduler(
        leader=SoleLeader(), jobs=lambda: list(specs), version=lambda: version[0], run=lambda *_: None, sync_every=0.1
    )
    scheduler.start()
    try:
        assert scheduler.job_ids == {"d-000002"}
        # Removing the bad one and adding another still syncs.
        specs[:] = [specs[1], JobSpec("d-000004", "30 9 * * *", "UTC")]
        version[0] = "2"
        wait_until(lambda: scheduler.job_ids == {"d-000002", "d-000004"}, "the re-sync")
    finally:
        scheduler.stop()
    assert scheduler.job_ids == set()


def test_a_store_failure_on_gaining_leadership_leaves_no_scheduler_running() -> None:
    from commands.errors import StoreUnavailable
    from integrations.scheduler.leader import SoleLeader

    def unavailable() -> list[Any]:
        raise StoreUnavailable("The state store cannot be used (test)")

    scheduler = LeaderScheduler(leader=SoleLeader(), jobs=unavailable, version=lambda: "1", run=lambda *_: None)
    with pytest.raises(StoreUnavailable):
        scheduler.start()
    scheduler.stop()
    assert scheduler.job_ids == set()


@pytest.mark.parametrize("scheduled_after_the_fire", [False, True])
def test_a_new_leader_posts_a_missed_fire_only_if_it_was_scheduled_by_then(scheduled_after_the_fire: bool) -> None:
    from datetime import UTC, timedelta

    from integrations.scheduler.leader import SoleLeader
    from integrations.scheduler.runner import JobSpec

    wait_until(lambda: 1.0 <= time.time() % PERIOD <= 1.2, "1 s after a fire time")
    now = datetime.now(UTC)
    made = now - timedelta(seconds=0.5 if scheduled_after_the_fire else 30)
    runs: list[datetime] = []
    spec = JobSpec("d-000003", "* * * * *", "UTC", made)
    scheduler = LeaderScheduler(
        leader=SoleLeader(),
        jobs=lambda: [spec],
        version=lambda: "1",
        run=lambda _, due: runs.append(due),
        make_trigger=every_two_seconds,
    )
    scheduler.start()
    try:
        time.sleep(0.5)  # well before the next fire time
        assert len(runs) == (0 if scheduled_after_the_fire else 1)
        assert all(due < now for due in runs)
    finally:
        scheduler.stop()


def test_a_leader_that_cannot_start_gives_the_role_up_and_tries_again(url: str) -> None:
    attempts: list[float] = []
    stopped: list[float] = []

    def start() -> None:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RuntimeError("the store is down (test)")

    leader = RedisLeader(url, key="pilothouse:leader:retry-test", ttl=3)
    leader.start(start, lambda: stopped.append(time.monotonic()))
    try:
        wait_until(lambda: leader.leading and len(attempts) == 2, "a second, successful start")
        assert len(stopped) == 1  # the failed start was undone
    finally:
        leader.stop()
    assert not leader.leading and len(stopped) == 2


def test_a_stale_leader_can_neither_renew_nor_delete_its_successors_key(url: str) -> None:
    """Its key expired (a long pause) and another replica took it: the stale one's extension and
    its release are each one compare-and-act Lua call, so they leave the successor's key alone."""
    key = "pilothouse:leader:stale-test"
    raw = redis.Redis.from_url(url, decode_responses=True)
    stopped = threading.Event()
    stale = RedisLeader(url, key=key, ttl=1.5)
    stale.start(lambda: None, stopped.set)
    try:
        wait_until(lambda: stale.leading, "the first leader")
        assert raw.get(key) == stale.identity
        raw.set(key, "successor", px=60_000)  # what a successor's SET NX leaves once the key expired
        assert stopped.wait(5), "the stale leader went on leading"
        assert not stale.leading
    finally:
        stale.stop()  # after its release on losing the role, and more SET NX tries
    assert raw.get(key) == "successor"  # not deleted
    assert raw.pttl(key) > 50_000  # not extended to the stale one's own TTL (1.5 s) either


def test_a_leader_that_stops_hands_its_key_over_at_once(url: str) -> None:
    key = "pilothouse:leader:handover-test"
    leader = RedisLeader(url, key=key, ttl=30)
    leader.start(lambda: None, lambda: None)
    wait_until(lambda: leader.leading, "the leader")
    leader.stop()
    assert redis.Redis.from_url(url, decode_responses=True).get(key) is None  # no 30 s wait for the next one
