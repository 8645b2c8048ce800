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
