"""HTTP mode refuses junk cheaply: an oversized body before it is read, a junk timestamp with a
401, a signed but malformed payload with a 400 and one warning line; and it keeps serving."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot import logs
from bot.slack.listeners import INCOMPLETE
from bot.slack.run import SlackBot
from tests.slack import signing
from tests.slack.process import peak_rss_mb, pilothouse
from tests.slack.running import SECRET, command, events_url, get, running, text_of
from tests.slack.signing import FORM, JSON, SlackSender
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

BIG = 500 * 1024 * 1024


@pytest.fixture
def bot(fake: FakeSlackWebAPI) -> Iterator[SlackBot]:
    with running(fake) as b:
        yield b


class _Warnings(logging.Handler):
    """Warning lines, each with the request id it was written under."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), logs.request_id.get()))


@pytest.fixture
def warnings() -> Iterator[_Warnings]:
    handler = _Warnings()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


def _send_huge(port: int, *, chunked: bool) -> int:
    """POST 500 MB of junk, unsigned, and return the status the bot answered with (it may close the
    connection before all of it is sent: that is the point)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Type", JSON)
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    else:
        connection.putheader("Content-Length", str(BIG))
    connection.endheaders()
    chunk = b"[" * (1024 * 1024)
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    try:
        for _ in range(BIG // len(chunk)):
            connection.send(framed)
    except OSError:
        pass  # refused mid-way
    try:
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_unsigned_body_is_refused_with_bounded_memory(fake: FakeSlackWebAPI, chunked: bool) -> None:
    settings = {"PILOTHOUSE_SLACK_BOT_TOKEN": "xoxb-t", "PILOTHOUSE_SLACK_SIGNING_SECRET": SECRET}
    with pilothouse(fake, settings=settings) as (process, port):
        before = peak_rss_mb(process.pid)
        started = time.monotonic()
        assert _send_huge(port, chunked=chunked) == 413
        took = time.monotonic() - started
        grew = peak_rss_mb(process.pid) - before
        # 500 MB sent; the process's peak memory grows by at most a few times the 1 MiB limit.
        assert grew < 30, f"peak RSS grew by {grew:.0f} MB"
        body, content_type = signing.slash_command("/pilot", "get pods", response_url=fake.response_url())
        assert SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET).send(body, content_type).status == 200
        assert "Pods in namespace" in text_of(fake.wait_for("response_url")[0])  # and it goes on serving
    print(f"500 MB refused in {took:.2f} s; peak RSS grew {grew:.1f} MB")


def _signed(body: bytes, timestamp: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@pytest.mark.parametrize(
    "timestamp",
    ["", "abc", "12a", "1e9", "-5", "1.5", " 1700000000", "1700000²²²", "9" * 40, "0", "stale", "future"],
)
def test_junk_timestamps_are_refused_with_401(bot: SlackBot, fake: FakeSlackWebAPI, timestamp: str) -> None:
    if timestamp in ("stale", "future"):
        timestamp = str(int(time.time()) + (-301 if timestamp == "stale" else 301))
    body, content_type = signing.slash_command("/pilot", "get pods", response_url=fake.response_url())
    sent = SlackSender(events_url(bot), SECRET).send(body, content_type, headers=_signed(body, timestamp))
    assert sent.status == 401
    time.sleep(0.2)
    assert fake.calls("response_url") == []


@pytest.mark.parametrize(
    "signature", ["", "v0=", "v1=abc", "v0=" + "0" * 64, "v0=" + "é" * 64, "x" * 10_000], ids=lambda s: s[:8]
)
def test_junk_signatures_are_refused_with_401(bot: SlackBot, signature: str) -> None:
    body, content_type = signing.slash_command("/pilot", "get pods")
    headers = {"X-Slack-Signature": signature}
    assert SlackSender(events_url(bot), SECRET).send(body, content_type, headers=headers).status == 401


MALFORMED = {
    "a JSON list": (b"[]", JSON),
    "null": (b"null", JSON),
    "a string": (b'"hello"', JSON),
    "not JSON": (b"{not json", JSON),
    "bad UTF-8": (b'{"type": "\xff"}', JSON),
    "nested deeply": (b"[" * 200_000 + b"]" * 200_000, JSON),
    "an event that is a list": (json.dumps({"type": "event_callback", "event": []}).encode(), JSON),
    "an event's user a number": (
        json.dumps({"type": "event_callback", "event": {"type": "app_mention", "user": 5}}).encode(),
        JSON,
    ),
    "payload=[]": (b"payload=%5B%5D", FORM),
    "payload=null": (b"payload=null", FORM),
    "payload not JSON": (b"payload=%7Bbroken", FORM),
    "actions not a list": (urlencode({"payload": json.dumps({"type": "block_actions", "actions": 1})}).encode(), FORM),
    "user not an object": (urlencode({"payload": json.dumps({"type": "block_actions", "user": "U1"})}).encode(), FORM),
    "a text/plain body": (b"hello", "text/plain"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_signed_but_malformed_bodies_get_400_and_one_warning_line(
    bot: SlackBot, fake: FakeSlackWebAPI, warnings: _Warnings, case: str
) -> None:
    body, content_type = MALFORMED[case]
    sent = SlackSender(events_url(bot), SECRET).send(body, content_type)
    assert sent.status == 400, sent
    refused = [(line, rid) for line, rid in warnings.lines if "malformed Slack request" in line]
    assert len(refused) == 1, warnings.lines
    request_id = refused[0][1]
    assert request_id and request_id.encode() in sent.body  # the reference the log line carries
    assert get(bot, "/healthz") == (200, "ok\n")


def test_after_all_that_it_keeps_serving(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    sender = SlackSender(events_url(bot), SECRET)
    for body, content_type in MALFORMED.values():
        sender.send(body, content_type)
    assert "Pods in namespace" in text_of(command(bot, fake, "get pods"))
    assert 'pilothouse_http_refused_total{reason="malformed"} 14.0' in get(bot, "/metrics")[1]


def test_a_command_without_its_channel_is_answered_where_it_can_be(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    url = fake.response_url()
    body, content_type = signing.slash_command("/pilot", "get pods", response_url=url, channel_id="")
    assert SlackSender(events_url(bot), SECRET).send(body, content_type).status == 200
    reply = fake.wait_for("response_url")[0]
    assert reply.args["text"] == INCOMPLETE and reply.args["response_type"] == "ephemeral"


def test_a_mention_without_a_channel_is_dropped_and_logged(
    bot: SlackBot, fake: FakeSlackWebAPI, warnings: _Warnings
) -> None:
    event = signing.app_mention("<@UBOT> get pods")
    del event["channel"]
    assert SlackSender(events_url(bot), SECRET).send(*signing.event_callback(event)).status == 200
    deadline = time.monotonic() + 5
    while not any("mention without channel" in line for line, _ in warnings.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("mention without channel" in line for line, _ in warnings.lines), warnings.lines
    assert fake.calls("chat.postMessage") == []
