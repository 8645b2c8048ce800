"""/readyz means "this process can serve": the store answers and, in Socket Mode, Slack is
connected. A cluster that goes away is reported by /metrics and `clusters`, never by readiness
(it would take every replica out of its Service at once)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.controlplane import ControlPlane, free_port
from tests.slack import workspace
from tests.slack.running import command, get, running, text_of
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]


@pytest.fixture
def fake(fake_slack: FakeSlackWebAPI) -> FakeSlackWebAPI:
    fake_slack.add_user(workspace.USER_ID, workspace.USER_NAME)
    fake_slack.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
    return fake_slack


def eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def with_a_cluster_that_is_down(control_plane: ControlPlane, path: Path) -> Path:
    """The admin kubeconfig plus a context `far-away` whose API server does not answer."""
    config = yaml.safe_load(control_plane.admin_kubeconfig.read_text())
    cluster = dict(config["clusters"][0]["cluster"], server=f"https://127.0.0.1:{free_port()}")
    config["clusters"].append({"name": "far-away", "cluster": cluster})
    config["contexts"].append({"name": "far-away", "context": {"cluster": "far-away", "user": "test-admin"}})
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_cluster_going_down_leaves_the_bot_ready_and_shows_in_metrics(
    fake: FakeSlackWebAPI, demo_control_plane: ControlPlane, redis_url: str, tmp_path: Path
) -> None:
    kubeconfig = with_a_cluster_that_is_down(demo_control_plane, tmp_path / "kubeconfig")
    with running(fake, kubeconfig=str(kubeconfig), redis_url=redis_url, work_processes=0) as bot:
        status, body = get(bot, "/readyz")
        assert status == 200 and json.loads(body) == {"ready": True, "checks": {"store": "ok"}}
        metrics = eventually(lambda: "far-away" in (m := get(bot, "/metrics")[1]) and m)
        assert 'pilothouse_cluster_reachable{cluster="far-away"} 0.0' in metrics
        assert 'pilothouse_cluster_reachable{cluster="test-admin"} 1.0' in metrics
        listed = text_of(command(bot, fake, "clusters"))
        assert "far-away" in listed and "NO" in listed and "Unreachable: far-away" in listed


def test_in_socket_mode_ready_means_connected_to_slack(fake: FakeSlackWebAPI) -> None:
    with running(fake, socket_mode=True) as bot:
        status, body = get(bot, "/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"store": "ok", "slack": "ok"}
        fake.socket_mode.stop()  # Slack is gone: this replica cannot serve
        status, body = eventually(lambda: (r := get(bot, "/readyz"))[0] == 503 and r)
        assert json.loads(body) == {
            "ready": False,
            "checks": {"store": "ok", "slack": "disconnected"},
        }
        assert get(bot, "/healthz") == (200, "ok\n")  # alive all the same: no restart for that
