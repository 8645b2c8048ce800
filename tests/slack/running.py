"""The Slack bot as `pilothouse` runs it, in this process, against the fake Slack; and the small
helpers the Slack scenarios share (send a signed command, GET an ops path, read a reply)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot import wiring
from bot.settings import Settings
from bot.slack import run
from bot.slack.run import SlackBot
from tests.slack import signing
from tests.slack.harness import APP_TOKEN
from tests.slack.signing import SlackSender
from tests.slack.web_api import Call, FakeSlackWebAPI

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@contextmanager
def running(fake: FakeSlackWebAPI, *, socket_mode: bool = False, **settings: Any) -> Iterator[SlackBot]:
    """Pilothouse's Slack bot as `pilothouse` would run it, on a free port, against the fake Slack."""
    config = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=None if socket_mode else SECRET,
        slack_app_token=APP_TOKEN if socket_mode else None,
        slack_api_url=fake.api_url,
        http_host="127.0.0.1",
        http_port=0,
        **settings,
    )
    bot = run.build(wiring.build(config, user="nobody")).start()
    if socket_mode:
        fake.socket_mode.wait_for_connection()
    try:
        yield bot
    finally:
        bot.stop()


def events_url(bot: SlackBot) -> str:
    return f"http://127.0.0.1:{bot.http.port}/slack/events"


def get(bot: SlackBot, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{bot.http.port}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def text_of(call: Call) -> str:
    """Everything a person would read in a recorded message: fallback text and block texts."""
    return call.args.get("text", "") + "\n" + json.dumps(call.args.get("blocks", []), ensure_ascii=False)


def command(bot: SlackBot, fake: FakeSlackWebAPI, text: str, **fields: Any) -> Call:
    """Send a signed slash command, check the immediate ack, return the reply via response_url."""
    url = fake.response_url()
    body, content_type = signing.slash_command("/pilot", text, response_url=url, **fields)
    started = time.monotonic()
    answer = SlackSender(events_url(bot), SECRET).send(body, content_type)
    assert answer.status == 200
    assert time.monotonic() - started < 3  # acknowledged within Slack's deadline
    return fake.wait_for("response_url", predicate=lambda c: c.token == url.rsplit("/", 1)[1])[-1]
