"""Scheduling digests from chat: kept as our own data in the store (Redis survives restarts),
checked with precise errors, stopped only where they were made and as the policy allows."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

from bot.digest.schedules import ScheduleBook
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from integrations.store.redis_store import RedisStore
from tests.chat import Chat, chat
from tests.policies import shaped

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SCHEDULERS = shaped(
    {
        "roles": {"scheduler": {"commands": ["digest *"], "cluster_wide": True}},
        "bindings": [{"name": "alice-schedules", "subjects": ["alice"], "roles": ["scheduler"]}],
    }
)


def scheduled_id(text: str) -> str:
    found = re.search(r"Digest `(d-[0-9a-f]{6})` scheduled", text)
    assert found, text
    return found.group(1)


def test_schedule_list_and_off() -> None:
    c = chat(SimulatedCluster.demo(), policy=SCHEDULERS)
    text = c.say('digest schedule "0 9 * * 1-5" --tz europe/berlin -n shop')
    schedule = scheduled_id(text)
    assert "When:   `0 9 * * 1-5` (Europe/Berlin)" in text
    assert re.search(r"Next:   (Mon|Tue|Wed|Thu|Fri) \d\d \w+ \d{4}, 09:00 CE(S)?T", text)
    assert "Covers: namespace `shop` on `demo`" in text
    listed = c.say("digest list")
    assert f"{schedule}  0 9 * * 1-5 (Europe/Berlin)  namespace `shop` on `demo`" in listed
    assert f"Digest `{schedule}` (`0 9 * * 1-5`, Europe/Berlin) is stopped." in c.say(f"digest off {schedule}")
    assert "No digest is scheduled for this channel." in c.say("digest list")
    assert f"No digest `{schedule}` is scheduled for this channel." in c.say(f"digest off {schedule}")


def test_bad_schedules_get_precise_errors_and_store_nothing() -> None:
    store = MemoryStore()
    c = chat(SimulatedCluster.demo(), policy=SCHEDULERS, store=store)
    assert "Invalid `CRON`: the hour `25` is out of range: use 0–23" in c.say('digest schedule "0 25 * * *"')
    assert "has 4 fields; a cron expression has 5" in c.say('digest schedule "0 9 * *"')
    berlin = c.say('digest schedule "0 9 * * *" --tz Berln')
    assert "Unknown time zone `Berln`.\nDid you mean `Europe/Berlin`?" in berlin
    unknown = c.say('digest schedule "0 9 * * *" --cluster prod')
    assert "No cluster named `prod` is configured.\nKnown clusters: `demo`." in unknown
    assert "namespace `shp` not found on cluster `demo`.\nSimilar names: `shop`." in c.say(
        'digest schedule "0 9 * * *" -n shp'
    )
    assert "Invalid `ID`: `9` is not a digest schedule ID" in c.say("digest off 9")
    assert ScheduleBook(store).all() == []


def test_schedules_change_only_as_the_policy_allows() -> None:
    store = MemoryStore()
    alice = chat(SimulatedCluster.demo(), policy=SCHEDULERS, store=store)
    schedule = scheduled_id(alice.say('digest schedule "0 9 * * *"'))
    bob = Chat(alice.pipeline, user="bob")
    denied = bob.say('digest schedule "0 10 * * *"')
    assert "You may not run `digest schedule` cluster-wide on `demo` from here: no binding grants it" in denied
    assert "`default-deny`" in denied
    assert "You may not run `digest off` from here" in bob.say(f"digest off {schedule}")
    assert schedule in bob.say("digest list")  # reading is for everyone
    elsewhere = Chat(alice.pipeline, user="alice", channel="C-OTHER")
    assert "it belongs to another channel: stop it there" in elsewhere.say(f"digest off {schedule}")
    assert [s.id for s in ScheduleBook(store).all()] == [schedule]


def test_a_schedule_set_from_chat_survives_a_restart(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="restart-test:")
    schedule = scheduled_id(
        chat(SimulatedCluster.demo(), policy=SCHEDULERS, store=store).say('digest schedule "*/5 * * * *"')
    )
    store.close()
    again = chat(SimulatedCluster.demo(), policy=SCHEDULERS, store=RedisStore(redis_url, prefix="restart-test:"))
    assert f"{schedule}  */5 * * * * (UTC)  all namespaces on `demo`" in again.say("digest list")


def test_replicas_adding_at_once_lose_no_schedule(redis_url: str) -> None:
    books = [ScheduleBook(RedisStore(redis_url, prefix="race-test:")) for _ in range(4)]
    before = books[0].version()

    def add(book: ScheduleBook, n: int) -> None:
        for _ in range(5):
            book.add(channel=f"C{n}", cron="0 9 * * *", tz="UTC", cluster="demo", namespace=None, by="x", now=NOW)

    threads = [threading.Thread(target=add, args=(book, n)) for n, book in enumerate(books)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(books[0].in_channel(f"C{n}")) for n in range(4)) == [5, 5, 5, 5]
    assert books[0].version() != before
