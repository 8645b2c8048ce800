"""Reloading the policy without a restart: a changed file is taken within seconds (and on
SIGHUP); a broken one is rejected with its problems logged, the last good policy stays in
force, and /metrics says which generation is in force and how the last reload went."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.policy import Request, Subject, load
from bot.policy.reload import PolicyHolder
from tests.policies import REGISTRY
from tests.redis_server import free_port
from tests.slack import signing, workspace
from tests.slack.running import SECRET, command, get, running, text_of
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

ALICE = workspace.USER_ID
BINDING = f"bindings: [{{name: alice-{{name}}, subjects: [{ALICE}], roles: [r]}}]\n"
READERS = "roles: {r: {commands: [read]}}\n" + BINDING.replace("{name}", "reads")
WRITERS = "roles: {r: {commands: [read, write]}}\n" + BINDING.replace("{name}", "writes")
BROKEN = "roles: {r: {commands: [wirte]}}\n" + BINDING.replace("{name}", "writes")
SCALE = Request("scale", "write", "C0OPS0001", "demo", "shop", replicas=2)


def eventually(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def test_good_then_broken_then_good(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(READERS)
    holder = PolicyHolder(lambda: load(path, REGISTRY), path=path, every=0.05)
    alice = Subject(ALICE)
    assert not holder.authorise(alice, SCALE).allowed and holder.generation == 1

    path.write_text(WRITERS)
    assert holder.changed()
    assert holder.reload("test").ok and holder.generation == 2
    assert holder.authorise(alice, SCALE).rule == "alice-writes"

    path.write_text(BROKEN)
    with caplog.at_level(logging.ERROR, logger="bot.policy.reload"):
        result = holder.reload("test")
    assert not result.ok and result.generation == 2  # rejected: generation 2 stays in force
    assert any("no command is called `wirte`" in p for p in result.problems)
    assert "rejected; generation 2 stays in force" in caplog.text and "`wirte`" in caplog.text
    assert holder.authorise(alice, SCALE).rule == "alice-writes"

    path.write_text(READERS)
    assert holder.reload("test").ok and holder.generation == 3
    assert not holder.authorise(alice, SCALE).allowed


def metric(body: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", body, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


@pytest.fixture
def fake(fake_slack: FakeSlackWebAPI) -> FakeSlackWebAPI:
    fake_slack.add_user(workspace.USER_ID, workspace.USER_NAME)
    fake_slack.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
    return fake_slack


def test_the_running_bot_picks_up_a_changed_file_and_keeps_the_last_good_one(
    fake: FakeSlackWebAPI, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(READERS)
    with running(fake, policy_file=path, policy_reload=0.2) as bot:
        assert "no binding grants it" in text_of(command(bot, fake, "pause web -n shop"))
        assert metric(get(bot, "/metrics")[1], "pilothouse_policy_generation") == 1

        path.write_text(WRITERS)
        eventually(lambda: metric(get(bot, "/metrics")[1], "pilothouse_policy_generation") == 2, "generation 2")
        assert "Paused `web`" in text_of(command(bot, fake, "pause web -n shop"))

        path.write_text(BROKEN)
        eventually(
            lambda: metric(get(bot, "/metrics")[1], "pilothouse_policy_last_reload_success") == 0, "a rejected reload"
        )
        body = get(bot, "/metrics")[1]
        assert metric(body, "pilothouse_policy_generation") == 2
        assert metric(body, 'pilothouse_policy_reloads_total{result="rejected"}') == 1
        assert "Resumed `web`" in text_of(command(bot, fake, "resume web -n shop"))  # the last good one holds

        path.write_text(READERS)
        eventually(lambda: metric(get(bot, "/metrics")[1], "pilothouse_policy_generation") == 3, "generation 3")
        assert metric(get(bot, "/metrics")[1], "pilothouse_policy_last_reload_success") == 1
        assert "no binding grants it" in text_of(command(bot, fake, "pause web -n shop"))


def test_sighup_reloads_at_once(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    """`pilothouse` as started in production; the file is checked only every 300 s, so the
    reload within the test is the signal's."""
    path = tmp_path / "policy.yaml"
    path.write_text(READERS)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update(
        PILOTHOUSE_SLACK_BOT_TOKEN="xoxb-test-token",
        PILOTHOUSE_SLACK_SIGNING_SECRET=SECRET,
        PILOTHOUSE_SLACK_API_URL=fake.api_url,
        PILOTHOUSE_HTTP_HOST="127.0.0.1",
        PILOTHOUSE_HTTP_PORT=str(port),
        PILOTHOUSE_POLICY_FILE=str(path),
        PILOTHOUSE_POLICY_RELOAD="300",
    )
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pilothouse")], env=env, stderr=subprocess.PIPE, text=True
    )

    def generation() -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return metric(response.read().decode(), "pilothouse_policy_generation")

    def up() -> bool:
        try:
            return generation() == 1
        except OSError:
            return process.poll() is not None

    try:
        eventually(up, "the bot serving /metrics", timeout=30)
        assert process.poll() is None
        path.write_text(WRITERS)
        time.sleep(0.5)
        assert generation() == 1  # not polled yet
        process.send_signal(signal.SIGHUP)
        eventually(lambda: generation() == 2, "generation 2 after SIGHUP")
        url = fake.response_url()
        body, content_type = signing.slash_command("/pilot", "pause web -n shop", response_url=url)
        assert SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET).send(body, content_type).status == 200
        assert "Paused `web`" in text_of(fake.wait_for("response_url", timeout=20)[0])
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert '"policy reloaded (SIGHUP): generation 2' in stderr
