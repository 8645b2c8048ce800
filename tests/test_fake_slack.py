"""The fake Slack itself, driven by the real slack_sdk and slack_bolt: if these pass, app tests can trust it."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import Clock, SignatureVerifier

from tests.slack import signing, workspace
from tests.slack.harness import run_socket_mode, serve_http
from tests.slack.signing import SlackSender
from tests.slack.socket_mode import FakeSocketModeServer
from tests.slack.validation import MAX_TEXT, check_message, validate_message
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]  # the fake_slack fixture

SECRET = "fake-signing-secret"
BOT_TOKEN = "xoxb-1-fake-bot-token"


def client_for(fake: FakeSlackWebAPI, **options: Any) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.api_url, **options)


def bolt_app(fake: FakeSlackWebAPI) -> App:
    # With `client=`, Bolt takes the token from the client (passing both only logs a warning).
    return App(signing_secret=SECRET, client=client_for(fake))


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


# -- Web API: recording and answers ----------------------------------------------------------------------------


def test_post_message_is_recorded_with_blocks_decoded(fake_slack: FakeSlackWebAPI) -> None:
    blocks = [section("*pods* in `shop`")]
    response = client_for(fake_slack).chat_postMessage(channel="C1", text="pods in shop", blocks=blocks)

    assert response["channel"] == "C1"
    assert response["message"]["text"] == "pods in shop"
    assert response["message"]["bot_id"] == workspace.BOT_ID
    [call] = fake_slack.calls("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "pods in shop", "blocks": blocks}
    assert call.token == BOT_TOKEN
    assert call.error is None
    stored = fake_slack.message("C1", response["ts"])
    assert stored is not None and stored["blocks"] == blocks


def test_form_bodies_have_json_fields_decoded_and_token_field_accepted(fake_slack: FakeSlackWebAPI) -> None:
    blocks = [section("hello")]
    client = WebClient(base_url=fake_slack.api_url)  # no token: it travels as a form field
    client.api_call(
        "chat.postMessage", data={"token": BOT_TOKEN, "channel": "C1", "text": "x", "blocks": json.dumps(blocks)}
    )

    [call] = fake_slack.calls("chat.postMessage")
    assert call.args["blocks"] == blocks
    assert call.token == BOT_TOKEN
    assert "token" not in call.args


def test_ts_values_are_unique_and_increasing(fake_slack: FakeSlackWebAPI) -> None:
    client = client_for(fake_slack)
    stamps = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(3)]

    assert stamps == sorted(set(stamps), key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_chat_update_edits_only_messages_the_bot_posted(fake_slack: FakeSlackWebAPI) -> None:
    client = client_for(fake_slack)
    posted = client.chat_postMessage(channel="C1", text="deploying…")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="deployed")

    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", posted["ts"], "deployed")
    stored = fake_slack.message("C1", posted["ts"])
    assert stored is not None and stored["text"] == "deployed"
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C1", ts="1.000001", text="nope")
    assert refused.value.response["error"] == "message_not_found"


def test_ephemeral_reactions_users_channels_and_groups(fake_slack: FakeSlackWebAPI) -> None:
    fake_slack.add_user("U1", "alice", "Alice Liddell")
    fake_slack.add_channel("C1", "ops")
    fake_slack.add_channel("D1", "", is_im=True, user="U1")
    fake_slack.add_usergroup("S1", ["U1", "U2"])
    client = client_for(fake_slack)

    assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
    user = client.users_info(user="U1")["user"]
    assert (user["id"], user["name"], user["real_name"], user["is_bot"]) == ("U1", "alice", "Alice Liddell", False)
    assert client.users_info(user=workspace.BOT_USER_ID)["user"]["is_bot"] is True
    assert client.conversations_info(channel="C1")["channel"]["name"] == "ops"
    assert client.conversations_info(channel="D1")["channel"]["user"] == "U1"
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert client.reactions_add(channel="C1", timestamp="1.000100", name="eyes")["ok"]

    refusals: list[tuple[Callable[[], object], str]] = [
        (lambda: client.users_info(user="U404"), "user_not_found"),
        (lambda: client.conversations_info(channel="C404"), "channel_not_found"),
        (lambda: client.usergroups_users_list(usergroup="S404"), "no_such_subteam"),
        (lambda: client.reactions_add(channel="C1", timestamp="1.000100", name="eyes"), "already_reacted"),
    ]
    for call, error in refusals:
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == error


def test_auth_test_answers_the_bot_identity(fake_slack: FakeSlackWebAPI) -> None:
    identity = client_for(fake_slack).auth_test()

    assert identity["user_id"] == workspace.BOT_USER_ID
    assert identity["bot_id"] == workspace.BOT_ID
    assert identity["team_id"] == workspace.TEAM_ID
    assert identity["url"].startswith("https://")


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxp-user", "invalid_auth"), ("xapp-1-app", "not_allowed_token_type")],
)
def test_bad_tokens_are_refused(fake_slack: FakeSlackWebAPI, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=token, base_url=fake_slack.api_url).auth_test()

    assert refused.value.response["error"] == error
    assert [c.error for c in fake_slack.errors()] == [error]


def test_only_configured_tokens_are_valid_when_given() -> None:
    with FakeSlackWebAPI(tokens={"xoxb-right"}) as fake:
        assert WebClient(token="xoxb-right", base_url=fake.api_url).auth_test()["ok"]
        with pytest.raises(SlackApiError, match="invalid_auth"):
            WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()


def test_unknown_method_is_refused(fake_slack: FakeSlackWebAPI) -> None:
    with pytest.raises(SlackApiError) as refused:
        client_for(fake_slack).api_call("chat.postMessages")

    assert refused.value.response["error"] == "unknown_method"


# -- Web API: what Slack rejects -------------------------------------------------------------------------------


def test_more_than_50_blocks_are_rejected(fake_slack: FakeSlackWebAPI) -> None:
    with pytest.raises(SlackApiError) as refused:
        client_for(fake_slack).chat_postMessage(channel="C1", text="x", blocks=[section("row")] * 51)

    assert refused.value.response["error"] == "invalid_blocks"
    assert "no more than 50 items" in refused.value.response["response_metadata"]["messages"][0]
    [error] = fake_slack.errors()
    assert (error.method, error.error, len(error.args["blocks"])) == ("chat.postMessage", "invalid_blocks", 51)


def test_oversized_section_is_rejected(fake_slack: FakeSlackWebAPI) -> None:
    with pytest.raises(SlackApiError) as refused:
        client_for(fake_slack).chat_postMessage(channel="C1", text="logs", blocks=[section("x" * 3001)])

    assert refused.value.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in refused.value.response["response_metadata"]["messages"][0]


def test_message_without_text_or_blocks_is_rejected(fake_slack: FakeSlackWebAPI) -> None:
    with pytest.raises(SlackApiError) as refused, pytest.warns(UserWarning, match="`text` argument is missing"):
        client_for(fake_slack).chat_postMessage(channel="C1", text="")

    assert refused.value.response["error"] == "no_text"
    assert fake_slack.wait_for("chat.postMessage", include_errors=True)[0].error == "no_text"


def test_text_over_40000_characters_is_accepted_but_truncated(fake_slack: FakeSlackWebAPI) -> None:
    response = client_for(fake_slack).chat_postMessage(channel="C1", text="y" * (MAX_TEXT + 5))

    assert len(response["message"]["text"]) == MAX_TEXT
    [call] = fake_slack.calls("chat.postMessage")
    assert call.truncated and call.error is None


def _actions(count: int) -> dict[str, Any]:
    return {"type": "actions", "elements": [{"type": "button", "action_id": f"a{i}"} for i in range(count)]}


def _context(count: int) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * count}


@pytest.mark.parametrize(
    ("blocks", "error"),
    [
        ([section("x" * 3000)], None),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}], None),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "invalid_blocks"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "invalid_blocks"),
        ([_context(10)], None),
        ([_context(11)], "invalid_blocks"),
        ([_actions(25)], None),
        ([_actions(26)], "invalid_blocks"),
        ([{**section("x"), "block_id": "b" * 255}], None),
        ([{**section("x"), "block_id": "b" * 256}], "invalid_blocks"),
        ([{"type": "actions", "elements": [{"type": "button", "action_id": "a" * 256}]}], "invalid_blocks"),
        ([{**section("x"), "accessory": {"type": "button", "action_id": "a" * 256}}], "invalid_blocks"),
        ([{"type": "section", "text": {"text": "no type"}}], "invalid_blocks"),
        ([{"type": "section", "text": {"type": "mrkdwn"}}], "invalid_blocks"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "invalid_blocks"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "invalid_blocks"),
        ([{"type": "section"}], "invalid_blocks"),
        ([{"type": "sektion"}], "invalid_blocks"),
        ([{"type": "divider"}] * 50, None),
        ([section("z" * 2900)] * 5, "msg_blocks_too_long"),
        ("not json", "invalid_blocks_format"),
    ],
)
def test_validate_message(blocks: Any, error: str | None) -> None:
    assert validate_message({"channel": "C1", "text": "fallback", "blocks": blocks}) == error


def test_validate_message_needs_some_content() -> None:
    assert validate_message({"channel": "C1"}) == "no_text"
    assert validate_message({"channel": "C1", "blocks": []}) == "no_text"
    assert validate_message({"channel": "C1", "blocks": [section("only blocks")]}) is None
    problem = check_message({"blocks": [section("ok"), {"type": "header", "text": {"type": "plain_text"}}]})
    assert problem is not None and problem.detail.endswith("[json-pointer:/blocks/1/text/text]")


# -- Web API: rate limits, latency, waiting --------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_by_the_retry_handler(fake_slack: FakeSlackWebAPI) -> None:
    client = client_for(fake_slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)

    assert client.chat_postMessage(channel="C1", text="hi")["ok"]

    limited, accepted = fake_slack.calls("chat.postMessage")
    assert (limited.status, limited.error) == (429, "ratelimited")
    assert accepted.error is None
    assert accepted.at - limited.at >= 1


def test_429_without_a_retry_handler_reaches_the_caller(fake_slack: FakeSlackWebAPI) -> None:
    fake_slack.rate_limit("chat.update", retry_after=7)

    with pytest.raises(SlackApiError) as refused:
        client_for(fake_slack).chat_update(channel="C1", ts="1.000100", text="x")

    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "7"
    assert refused.value.response["error"] == "ratelimited"


def test_delay_slows_one_method(fake_slack: FakeSlackWebAPI) -> None:
    fake_slack.delay("auth.test", 0.3)
    client = client_for(fake_slack)

    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="fast")
    assert time.monotonic() - started < 0.3


def test_wait_for_blocks_until_a_call_arrives_and_times_out_loudly(fake_slack: FakeSlackWebAPI) -> None:
    client = client_for(fake_slack)
    later = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C9", text="async reply"))
    later.start()
    try:
        [call] = fake_slack.wait_for("chat.postMessage", predicate=lambda c: c.args["channel"] == "C9")
    finally:
        later.join()
    assert call.args["text"] == "async reply"

    with pytest.raises(AssertionError, match=r"chat\.update"):
        fake_slack.wait_for("chat.update", timeout=0.05)
    fake_slack.reset()
    assert fake_slack.calls() == []


# -- Web API: files_upload_v2 and response_url ------------------------------------------------------------------


def test_files_upload_v2_end_to_end(fake_slack: FakeSlackWebAPI) -> None:
    content = "line 1\nline 2\n" * 1000
    response = client_for(fake_slack).files_upload_v2(
        channel="C1", content=content, filename="logs.txt", initial_comment="full logs", thread_ts="1.000100"
    )

    assert response["file"]["title"] == "logs.txt"
    [upload] = fake_slack.uploads()
    assert upload.content == content.encode()
    assert (upload.filename, upload.title, upload.channel) == ("logs.txt", "logs.txt", "C1")
    assert (upload.initial_comment, upload.thread_ts, upload.file_id) == (
        "full logs",
        "1.000100",
        response["file"]["id"],
    )
    [get_url] = fake_slack.calls("files.getUploadURLExternal")
    assert int(get_url.args["length"]) == len(content.encode())
    assert fake_slack.errors() == []


def test_completing_an_upload_that_never_happened_is_refused(fake_slack: FakeSlackWebAPI) -> None:
    client = client_for(fake_slack)
    file_id = client.files_getUploadURLExternal(filename="a.txt", length=3)["file_id"]

    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": file_id, "title": "a"}], channel_id="C1")


def _post_json(url: str, payload: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_response_url_records_posts_and_enforces_its_limits(fake_slack: FakeSlackWebAPI) -> None:
    url = fake_slack.response_url()

    assert _post_json(url, {"text": "hello", "response_type": "in_channel"})[0] == 200
    assert _post_json(url, {"response_type": "ephemeral"}) == (400, b"no_text")
    for _ in range(3):
        _post_json(url, {"text": "again", "replace_original": True})
    assert _post_json(url, {"text": "sixth"}) == (404, b"used_url")
    assert _post_json(url.rsplit("/", 1)[0] + "/R404", {"text": "?"}) == (404, b"expired_url")

    first = fake_slack.calls("response_url")[0]
    assert (first.args["text"], first.token) == ("hello", url.rsplit("/", 1)[1])
    assert [c.error for c in fake_slack.errors()] == ["no_text", "used_url", "expired_url"]


# -- signing ---------------------------------------------------------------------------------------------------


def test_signatures_match_slack_sdks_verifier() -> None:
    body, _ = signing.slash_command(text="get pods")
    headers = signing.sign(SECRET, body, timestamp=1_700_000_000)
    verifier = SignatureVerifier(SECRET, clock=_FixedClock(1_700_000_000))

    assert headers["X-Slack-Signature"] == verifier.generate_signature(timestamp="1700000000", body=body)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not verifier.is_valid(body + b"x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_payload_builders_carry_every_field_slack_sends() -> None:
    from urllib.parse import parse_qs

    body, content_type = signing.slash_command("/pilot", "get pods -n shop", response_url="http://x/respond/R1")
    form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert content_type == signing.FORM
    assert set(form) == {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command",
        "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    }  # fmt: skip
    assert (form["command"], form["text"], form["response_url"]) == (
        "/pilot",
        "get pods -n shop",
        "http://x/respond/R1",
    )
    assert signing.slash_command_payload()["trigger_id"] != signing.slash_command_payload()["trigger_id"]

    body, content_type = signing.block_actions("restart", "deploy/web", message_ts="1.000100")
    action = json.loads(parse_qs(body.decode())["payload"][0])
    assert content_type == signing.FORM
    assert (action["type"], action["container"]["message_ts"], action["actions"][0]["value"]) == (
        "block_actions",
        "1.000100",
        "deploy/web",
    )

    body, content_type = signing.event_callback(signing.reaction_added("+1::skin-tone-2", item_ts="1.000100"))
    envelope = json.loads(body)
    assert content_type == signing.JSON
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["event"]["item"] == {"type": "message", "channel": workspace.CHANNEL_ID, "ts": "1.000100"}
    assert signing.message_im("hi")["channel_type"] == "im"
    assert signing.bot_message("hi")["subtype"] == "bot_message"
    edited = signing.message_changed("new", previous_text="old", ts="1.000100")
    assert (edited["message"]["ts"], edited["previous_message"]["text"]) == ("1.000100", "old")


# -- a Bolt app over HTTP --------------------------------------------------------------------------------------


def test_bolt_http_slash_command_acks_and_replies_land_in_the_fake(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)

    @app.command("/pilot")
    def pilot(ack: Ack, respond: Respond, say: Say, command: dict[str, Any]) -> None:
        ack()
        respond(f"working on `{command['text']}`")
        say(text="done", blocks=[section("*done*")])

    response_url = fake_slack.response_url()
    with serve_http(app) as endpoint:
        status, _, body = SlackSender(endpoint, SECRET).send(
            *signing.slash_command(text="get pods", response_url=response_url)
        )
        [reply] = fake_slack.wait_for("response_url")
        [post] = fake_slack.wait_for("chat.postMessage")

    assert (status, body) == (200, b"")
    assert reply.args["text"] == "working on `get pods`"
    assert reply.token == response_url.rsplit("/", 1)[1]
    assert (post.args["channel"], post.args["text"], post.token) == (workspace.CHANNEL_ID, "done", BOT_TOKEN)
    assert fake_slack.errors() == []


def test_bolt_http_ack_with_text_is_the_http_response(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    app.command("/pilot")(lambda ack: ack("on it"))
    app.command("/blocks")(lambda ack: ack(blocks=[section("on it")]))

    with serve_http(app) as endpoint:
        sender = SlackSender(endpoint, SECRET)
        text = sender.send(*signing.slash_command(text="status"))
        blocks = sender.send(*signing.slash_command("/blocks"))

    # ack("text") answers plain text; anything richer is JSON.
    assert (text.status, text.headers["content-type"], text.body) == (200, "text/plain;charset=utf-8", b"on it")
    assert blocks.headers["content-type"].startswith("application/json")
    assert json.loads(blocks.body)["blocks"] == [section("on it")]


def test_bolt_http_refuses_bad_signatures_and_stale_timestamps(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    app.command("/pilot")(lambda ack: ack())

    with serve_http(app) as endpoint:
        sender = SlackSender(endpoint, SECRET)
        wrong = sender.send(*signing.slash_command(), bad_signature=True)
        stale = sender.send(*signing.slash_command(), timestamp=int(time.time()) - 6 * 60)
        fine = sender.send(*signing.slash_command())

    assert (wrong.status, stale.status, fine.status) == (401, 401, 200)


def test_bolt_http_url_verification_returns_the_challenge(fake_slack: FakeSlackWebAPI) -> None:
    with serve_http(bolt_app(fake_slack)) as endpoint:
        status, _, body = SlackSender(endpoint, SECRET).send(*signing.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9"))

    assert status == 200
    assert json.loads(body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9"}


def test_bolt_http_events_and_actions_with_retry_headers(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    seen_retries: list[object] = []

    @app.event("app_mention")
    def mentioned(event: dict[str, Any], say: Say, request: BoltRequest) -> None:
        seen_retries.append(request.headers.get("x-slack-retry-num"))
        say(text=f"you said {event['text']}", thread_ts=event["ts"])

    @app.action("restart")
    def restart(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(text=f"restarting {body['actions'][0]['value']}", replace_original=True)

    response_url = fake_slack.response_url()
    with serve_http(app) as endpoint:
        sender = SlackSender(endpoint, SECRET)
        mention = signing.app_mention(f"<@{workspace.BOT_USER_ID}> status")
        event = sender.send(*signing.event_callback(mention), retry_num=1, retry_reason="http_timeout")
        click = sender.send(*signing.block_actions("restart", "deploy/web", response_url=response_url))
        [post] = fake_slack.wait_for("chat.postMessage")
        [reply] = fake_slack.wait_for("response_url")

    assert (event.status, click.status) == (200, 200)
    assert seen_retries == [["1"]]
    assert post.args["thread_ts"] == mention["ts"]
    assert reply.args == {"text": "restarting deploy/web", "replace_original": True}


# -- a Bolt app over Socket Mode -------------------------------------------------------------------------------


def test_socket_mode_slash_command_is_acked_and_answered(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)

    @app.command("/pilot")
    def pilot(ack: Ack, say: Say, command: dict[str, Any]) -> None:
        ack()
        say(f"on it: {command['text']}")

    socket_server = fake_slack.socket_mode
    assert socket_server is not None
    with run_socket_mode(app, socket_server):
        envelope_id = socket_server.send("slash_commands", signing.slash_command_payload(text="get pods"))
        ack = socket_server.wait_for_ack(envelope_id)
        [post] = fake_slack.wait_for("chat.postMessage")

    assert ack == {"envelope_id": envelope_id}
    assert socket_server.ack_delay(envelope_id) < 3
    assert post.args["text"] == "on it: get pods"
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.token is not None and opened.token.startswith("xapp-")
    assert fake_slack.errors() == []


def test_socket_mode_ack_payload_events_and_interactions(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    retries: list[object] = []
    app.command("/pilot")(lambda ack: ack("on it"))

    @app.event("app_mention")
    def mentioned(say: Say, request: BoltRequest) -> None:
        retries.append(request.headers.get("x-slack-retry-num"))
        say("hi")

    @app.action("restart")
    def restart(ack: Ack, respond: Respond) -> None:
        ack()
        respond("restarting")

    socket_server = fake_slack.socket_mode
    assert socket_server is not None
    response_url = fake_slack.response_url()
    with run_socket_mode(app, socket_server):
        command = socket_server.send("slash_commands", signing.slash_command_payload())
        event = socket_server.send(
            "events_api",
            signing.event_callback_payload(signing.app_mention("hi")),
            retry_attempt=1,
            retry_reason="timeout",
        )
        click = socket_server.send("interactive", signing.block_actions_payload("restart", response_url=response_url))
        acks = [socket_server.wait_for_ack(envelope_id) for envelope_id in (command, event, click)]
        fake_slack.wait_for("chat.postMessage")
        fake_slack.wait_for("response_url")

    assert acks == [
        {"envelope_id": command, "payload": {"text": "on it"}},
        {"envelope_id": event},
        {"envelope_id": click},
    ]
    assert retries == [["1"]]  # Bolt 1.30 mirrors the envelope's retry_attempt into x-slack-retry-num


def test_socket_mode_client_reconnects_when_asked(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    app.command("/pilot")(lambda ack: ack())
    socket_server = fake_slack.socket_mode
    assert socket_server is not None

    with run_socket_mode(app, socket_server):
        socket_server.disconnect()
        socket_server.wait_for_connection()  # a new one: the old is no longer offered envelopes
        deadline = time.monotonic() + 2
        while socket_server.connection_count() != 1:
            assert time.monotonic() < deadline, "the old connection was not dropped"
            time.sleep(0.01)
        assert len(fake_slack.calls("apps.connections.open")) == 2
        envelope_id = socket_server.send("slash_commands", signing.slash_command_payload())
        assert socket_server.wait_for_ack(envelope_id)["envelope_id"] == envelope_id


def test_socket_mode_without_ack_sends_nothing_back(fake_slack: FakeSlackWebAPI) -> None:
    app = bolt_app(fake_slack)
    app.command("/pilot")(lambda: None)  # forgets ack()
    socket_server = fake_slack.socket_mode
    assert socket_server is not None

    with _captured(app.logger) as records, run_socket_mode(app, socket_server):
        socket_server.send("slash_commands", signing.slash_command_payload())
        deadline = time.monotonic() + 6
        while not any("Unsuccessful Bolt execution result (status: 404" in r for r in records):
            assert time.monotonic() < deadline, records
            time.sleep(0.02)

    assert any("didn't call ack()" in r for r in records)
    assert socket_server.acks() == []


@contextmanager
def _captured(logger: logging.Logger) -> Iterator[list[str]]:
    records: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


# -- lifecycle -------------------------------------------------------------------------------------------------


def test_fakes_start_fast_and_stop_without_leaking_threads_or_ports() -> None:
    before = set(threading.enumerate())
    started = time.monotonic()
    with FakeSocketModeServer() as socket_server, FakeSlackWebAPI(socket_mode=socket_server) as fake:
        assert time.monotonic() - started < 1
        client_for(fake).auth_test()
        ports = [int(fake.url.rsplit(":", 1)[1]), int(socket_server.url.split(":")[2].split("/")[0])]
        ws_url = WebClient(base_url=fake.api_url).apps_connections_open(app_token="xapp-1")["url"]
        assert ws_url.startswith(f"ws://127.0.0.1:{ports[1]}/link/?")

    assert set(threading.enumerate()) - before == set()
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
