"""pytest fixtures for the fake Slack. Use them from a test module or conftest with
``from tests.slack.fixtures import fake_slack  # noqa: F401`` (or ``pytest_plugins = ["tests.slack.fixtures"]``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import workspace
from .socket_mode import FakeSocketModeServer
from .web_api import FakeSlackWebAPI


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackWebAPI]:
    """A running FakeSlackWebAPI with a FakeSocketModeServer at ``.socket_mode``; both stopped afterwards."""
    with FakeSocketModeServer() as socket_mode, FakeSlackWebAPI(socket_mode=socket_mode) as fake:
        yield fake


@pytest.fixture
def fake(fake_slack: FakeSlackWebAPI) -> FakeSlackWebAPI:
    """The fake Slack with the test workspace's person (Alice) and channel in it."""
    fake_slack.add_user(workspace.USER_ID, workspace.USER_NAME, real_name="Alice Example")
    fake_slack.add_channel(workspace.CHANNEL_ID, workspace.CHANNEL_NAME)
    return fake_slack
