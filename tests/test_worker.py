"""The bounded pool behind the acks: it runs work, reports results, and says no when full."""

from __future__ import annotations

import threading
import time

import pytest

from bot.worker import Worker


def test_runs_work_and_hands_back_the_result() -> None:
    worker = Worker.threads(threads=2, queue=2)
    results: list[int] = []
    done = threading.Event()
    assert worker.submit(lambda x: x * 2, 21, on_done=lambda r: (results.append(r), done.set()))
    assert done.wait(5)
    assert results == [42]
    worker.shutdown()


def test_refuses_at_once_when_running_and_waiting_are_full() -> None:
    worker = Worker.threads(threads=1, queue=1)
    release = threading.Event()
    assert worker.submit(release.wait, 10)
    assert worker.submit(release.wait, 10)
    started = time.monotonic()
    assert not worker.submit(release.wait, 10)  # no room: refused, not queued
    assert time.monotonic() - started < 0.1
    assert worker.in_flight == 2 and worker.capacity == 2
    release.set()
    deadline = time.monotonic() + 5
    while worker.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.in_flight == 0
    assert worker.submit(lambda: None)  # room again
    worker.shutdown()


def test_a_failing_job_is_logged_and_frees_its_slot(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker.threads(threads=1, queue=0)

    def fail() -> None:
        raise RuntimeError("boom")

    assert worker.submit(fail)
    deadline = time.monotonic() + 5
    while worker.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.in_flight == 0
    assert "work behind an ack failed" in caplog.text and "boom" in caplog.text
    worker.shutdown()


def test_work_handed_over_in_a_burst_waits_until_the_burst_is_over() -> None:
    from concurrent.futures import ThreadPoolExecutor

    worker = Worker(ThreadPoolExecutor(4), capacity=20, settle=0.2, max_hold=5)
    started: list[float] = []
    for _ in range(5):
        assert worker.submit(lambda: started.append(time.monotonic()))
        time.sleep(0.05)
    last_submit = time.monotonic()
    assert started == []  # nothing ran while the requests kept coming
    deadline = time.monotonic() + 5
    while len(started) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(started) == 5 and min(started) >= last_submit
    worker.shutdown()


def test_held_work_never_waits_longer_than_max_hold_nor_is_lost_at_shutdown() -> None:
    from concurrent.futures import ThreadPoolExecutor

    worker = Worker(ThreadPoolExecutor(4), capacity=100, settle=0.2, max_hold=0.3)
    started: list[float] = []
    first = time.monotonic()
    while time.monotonic() - first < 1.0:  # a steady stream: never quiet for `settle`
        assert worker.submit(lambda: started.append(time.monotonic()))
        time.sleep(0.02)
    assert started and min(started) < first + 0.9  # the first batch went while the stream went on
    held = Worker(ThreadPoolExecutor(1), capacity=5, settle=60)
    ran = threading.Event()
    assert held.submit(ran.set)
    held.shutdown(wait=True)
    assert ran.is_set()
    worker.shutdown()
