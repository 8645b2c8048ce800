"""A time budget per request, enforced: a request held past it is stopped and answered, a change
it had not sent yet is never sent, and everyone else (and /healthz) is answered meanwhile."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.budget import Budget, Overrun
from bot.processes import ProcessPool
from bot.slack.jobs import Job, ReplyTo, tell_stopped, working_key
from commands.errors import TimedOut
from integrations import deadline
from integrations.cluster.model import DeploymentInfo, PodInfo
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.chat import chat
from tests.cluster.proxy import TcpProxy
from tests.policies import demo_admin
from tests.slack import signing, workspace
from tests.slack.running import SECRET, command, events_url, get, running, text_of
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

BUDGET = 1.0


# --- the budget itself --------------------------------------------------------------------------


def test_within_its_budget_work_returns_or_raises_as_it_would() -> None:
    budget = Budget(5)
    assert budget.run(lambda: 42) == 42
    with pytest.raises(KeyError):
        budget.run(lambda: {}["missing"])
    assert budget.strays() == 0


def test_past_its_budget_work_is_abandoned_and_meets_its_deadline_at_the_next_call() -> None:
    budget = Budget(0.2)
    reached: list[str] = []
    release = threading.Event()

    def slow() -> None:
        release.wait(5)
        reached.append("woke")
        deadline.check()  # what every cluster call does first
        reached.append("went on")  # never: the deadline has passed

    started = time.monotonic()
    with pytest.raises(Overrun):
        budget.run(slow)
    assert time.monotonic() - started < 1.5
    assert budget.strays() == 1
    release.set()
    _eventually(lambda: budget.strays() == 0)
    assert reached == ["woke"]


def _eventually(condition: Any, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


# --- through the pipeline, on the demo cluster ---------------------------------------------------


class HeldCluster(SimulatedCluster):
    """The demo cluster, whose reads in one namespace are held (as an overloaded API server holds
    them) until `release` is set."""

    def __init__(self, name: str = "demo") -> None:
        super().__init__(name)
        self.held_namespace = "payments"
        self.release = threading.Event()

    def _hold(self, namespace: str | None) -> None:
        if namespace == self.held_namespace:
            self.release.wait(30)

    def list_pods(self, namespace: str | None, selector: str | None = None) -> list[PodInfo]:
        self._hold(namespace)
        return super().list_pods(namespace, selector)

    def get_deployment(self, namespace: str, name: str) -> DeploymentInfo:
        self._hold(namespace)
        return super().get_deployment(namespace, name)

    def table(self, resource: Any, namespace: str | None, **options: Any) -> Any:  # `get`'s generic read
        self._hold(namespace)
        return super().table(resource, namespace, **options)

    def get_object(self, resource: Any, namespace: str | None, name: str) -> Any:  # the write path's read
        self._hold(namespace)
        return super().get_object(resource, namespace, name)


@pytest.fixture
def held() -> Iterator[HeldCluster]:
    cluster = HeldCluster.demo("demo")
    assert isinstance(cluster, HeldCluster)
    yield cluster
    cluster.release.set()


def test_a_held_read_is_stopped_and_answered_honestly(held: HeldCluster) -> None:
    alice = chat(held, budget=BUDGET)
    started = time.monotonic()
    text = alice.say("get pods -n payments")
    assert time.monotonic() - started < BUDGET + 1
    assert "`get pods` took longer than 1 s, so Pilothouse stopped it." in text
    assert "narrower request" in text and alice.last.request_id  # a reference for the logs
    record = alice.pipeline.audit.recent(1)[0]
    assert (record.command, record.outcome, record.error) == ("get pods", "timeout", "TimedOut")
    assert "Pods in namespace `shop`" in alice.say("get pods -n shop")  # and the chat goes on


def test_a_change_stopped_before_it_was_sent_is_never_made(held: HeldCluster) -> None:
    alice = chat(held, policy=demo_admin("alice"), budget=BUDGET)
    before = SimulatedCluster.get_deployment(held, "payments", "api").desired
    text = alice.say("scale api 7 -n payments")
    assert "`scale` took longer than 1 s" in text
    assert "a change it had already sent to the cluster may still take effect" in text
    held.release.set()  # the abandoned request goes on, and meets its deadline before the change
    _eventually(lambda: alice.pipeline.budget.strays() == 0)
    assert SimulatedCluster.get_deployment(held, "payments", "api").desired == before


def test_the_shell_gets_the_same_answer(held: HeldCluster) -> None:
    assert "took longer than 1 s" in chat(held, budget=BUDGET).say("describe deploy api -n payments")


# --- in Slack, worker threads (the demo) --------------------------------------------------------


def test_in_slack_others_and_healthz_are_answered_while_one_request_is_held(
    fake: FakeSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    original = SimulatedCluster.table

    def held_table(self: SimulatedCluster, resource: Any, namespace: str | None, **options: Any) -> Any:
        if namespace == "payments":
            release.wait(30)
        return original(self, resource, namespace, **options)

    monkeypatch.setattr(SimulatedCluster, "table", held_table)
    fake.add_user("U0BOB0001", "bob")
    try:
        with running(fake, request_budget=2.0, workers=2) as bot:
            url = fake.response_url()
            body, content_type = signing.slash_command("/pilot", "get pods -n payments", response_url=url)
            started = time.monotonic()
            assert SlackSender(events_url(bot), SECRET).send(body, content_type).status == 200
            # Meanwhile: health, and another person's command, answered at once.
            assert get(bot, "/healthz") == (200, "ok\n")
            bobs = command(bot, fake, "get pods -n shop", user_id="U0BOB0001")
            assert "Pods in namespace shop" in text_of(bobs)
            assert time.monotonic() - started < 2.0
            stopped = fake.wait_for("response_url", predicate=lambda c: c.token == url.rsplit("/", 1)[1])[0]
            took = time.monotonic() - started
            assert 2.0 <= took < 4.0, took
            assert "took longer than 2 s, so Pilothouse stopped it" in text_of(stopped)
            assert stopped.args["response_type"] == "ephemeral"
            assert 'pilothouse_request_overruns_total{where="request"} 1.0' in get(bot, "/metrics")[1]
    finally:
        release.set()


# --- in Slack, worker processes (real Redis, the real control plane) ----------------------------


def test_in_worker_processes_a_stalled_cluster_is_stopped_and_the_worker_replaced(
    fake: FakeSlackWebAPI, demo_control_plane: Any, redis_url: str, tmp_path: Path
) -> None:
    with TcpProxy(int(demo_control_plane.server.rsplit(":", 1)[1])) as proxy:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(proxy.rewrite(demo_control_plane.admin_kubeconfig.read_text()))
        settings = {"kubeconfig": str(kubeconfig), "redis_url": redis_url, "work_processes": 2, "impersonate": "off"}
        with running(fake, request_budget=2.0, request_timeout=60, **settings) as bot:
            assert "Pods in namespace shop" in text_of(command(bot, fake, "get pods -n shop"))
            proxy.stall()  # the API server stops answering; connections stay open
            url = fake.response_url()
            body, content_type = signing.slash_command("/pilot", "get pods -n payments", response_url=url)
            started = time.monotonic()
            assert SlackSender(events_url(bot), SECRET).send(body, content_type).status == 200
            assert get(bot, "/healthz") == (200, "ok\n")
            stopped = fake.wait_for("response_url", timeout=20, predicate=lambda c: c.token == url.rsplit("/", 1)[1])
            took = time.monotonic() - started
            assert 2.0 <= took < 6.0, took
            assert "took longer than 2 s, so Pilothouse stopped it" in text_of(stopped[0])
            proxy.resume()
            executor = bot.jobs._executor
            assert isinstance(executor, ProcessPool)
            _eventually(lambda: executor.replaced == 1, timeout=30)  # the process it ran in is replaced
            again = command(bot, fake, "get pods -n payments")
            assert "Pods in namespace payments" in text_of(again)


# --- a worker process stuck in C code is killed ------------------------------------------------


def _hold_the_gil() -> None:
    """A pattern that backtracks for hours: a thread stuck in it never lets any other run."""
    re.match(r"(a+)+$", "a" * 40 + "!")


def _answer(value: int) -> int:
    return value * 2


def _nothing() -> None:
    return None


def test_a_process_that_never_answers_is_killed_and_replaced() -> None:
    pool = ProcessPool(1, initializer=_nothing, timeout=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(Overrun):
            pool.submit(_hold_the_gil).result(timeout=30)
        assert 1.0 <= time.monotonic() - started < 5
        assert pool.submit(_answer, 21).result(timeout=60) == 42  # a fresh process took its place
        assert pool.replaced == 1
    finally:
        started = time.monotonic()
        pool.shutdown(wait=True)
        assert time.monotonic() - started < 15


def test_shutdown_waits_at_most_the_budget_for_a_stuck_task() -> None:
    pool = ProcessPool(1, initializer=_nothing, timeout=1.0)
    stuck = pool.submit(_hold_the_gil)
    time.sleep(0.2)
    started = time.monotonic()
    pool.shutdown(wait=True)
    assert time.monotonic() - started < 10
    with pytest.raises(Overrun):
        stuck.result(timeout=1)


def test_the_front_edits_a_killed_jobs_working_message_into_the_answer(fake: FakeSlackWebAPI) -> None:
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    store = MemoryStore()
    posted = client.chat_postMessage(channel=workspace.CHANNEL_ID, text="Working on `status`…")
    job = Job(
        workspace.USER_ID,
        workspace.CHANNEL_ID,
        "status -A",
        ("event", "Ev1"),
        ReplyTo(channel=workspace.CHANNEL_ID, thread_ts="1.1"),
    )
    store.set(working_key(job), f"{posted['channel']} {posted['ts']}", ttl=60)
    tell_stopped(client, store, job, 30)
    edit = fake.wait_for("chat.update")[0]
    assert edit.args["ts"] == posted["ts"]
    assert "`status -A` took longer than 30 s, so Pilothouse stopped it." in text_of(edit)
    # Without a working message: a new one, in the job's thread.
    tell_stopped(client, MemoryStore(), job, 30)
    answer = fake.wait_for("chat.postMessage", predicate=lambda c: c.args.get("thread_ts") == "1.1")[0]
    assert "took longer than 30 s" in text_of(answer)
    assert TimedOut(30).hint is not None and TimedOut(30).hint in text_of(answer)
