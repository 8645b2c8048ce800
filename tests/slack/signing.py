"""Requests exactly as Slack sends them to an app: payload builders, signatures and a small HTTP sender.

Each payload has a dict builder (`*_payload`, also what Socket Mode envelopes carry) and an HTTP builder
returning ``(body bytes, content type)`` encoded the way Slack encodes it: slash commands form-encoded,
interactions as the form field ``payload=<json>``, events as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
import uuid
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from . import workspace

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "fake-verification-token"  # the deprecated `token` field Slack still sends
NO_RESPONSE_URL = "http://127.0.0.1:9/no-response-url"  # refused at once: never reaches the internet

_sequence = itertools.count(1)


class SentResponse(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


# -- signing ---------------------------------------------------------------------------------------------------


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """``v0=`` HMAC-SHA256 over ``v0:{timestamp}:{body}``, as Slack signs."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request; `timestamp` defaults to now."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature(secret, body, ts)}


# -- unique values ---------------------------------------------------------------------------------------------


def new_trigger_id() -> str:
    n = next(_sequence)
    return f"{1_000_000_000 + n}.{100_000_000 + n}.{uuid.uuid4().hex[:24]}"


def new_event_id() -> str:
    return f"Ev{next(_sequence):010d}"


def new_ts() -> str:
    """A message ts for incoming user messages, distinct from those the fake Web API hands out."""
    micros = 1_690_000_000_000_000 + 100 * next(_sequence)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


# -- slash commands --------------------------------------------------------------------------------------------


def slash_command_payload(
    command: str = "/pilot",
    text: str = "",
    *,
    user_id: str = workspace.USER_ID,
    user_name: str = workspace.USER_NAME,
    channel_id: str = workspace.CHANNEL_ID,
    channel_name: str = workspace.CHANNEL_NAME,
    team_id: str = workspace.TEAM_ID,
    team_domain: str = workspace.TEAM_DOMAIN,
    response_url: str = NO_RESPONSE_URL,
    trigger_id: str | None = None,
    api_app_id: str = workspace.APP_ID,
) -> dict[str, str]:
    """Every field Slack sends with a slash command (all strings, as in the form)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command(command: str = "/pilot", text: str = "", **fields: Any) -> tuple[bytes, str]:
    """A slash command as Slack POSTs it: form-encoded. Keywords as for `slash_command_payload`."""
    return urlencode(slash_command_payload(command, text, **fields)).encode(), FORM


# -- events ----------------------------------------------------------------------------------------------------


def event_callback_payload(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = workspace.TEAM_ID,
    api_app_id: str = workspace.APP_ID,
    event_time: int | None = None,
) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": workspace.BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def event_callback(event: dict[str, Any], **fields: Any) -> tuple[bytes, str]:
    """An Events API request: JSON. Keywords as for `event_callback_payload`."""
    return json.dumps(event_callback_payload(event, **fields)).encode(), JSON


def app_mention(
    text: str,
    *,
    user: str = workspace.USER_ID,
    channel: str = workspace.CHANNEL_ID,
    ts: str | None = None,
    user_team: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event; `text` is used as is, so include ``<@BOT_USER_ID>`` as Slack would.
    `user_team`: the person's own team, as Slack adds it in Slack Connect channels."""
    ts = ts or new_ts()
    event = {
        "type": "app_mention",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": ts,
        "team": workspace.TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if user_team:
        event.update(user_team=user_team, source_team=user_team)
    return event


def message_im(
    text: str, *, user: str = workspace.USER_ID, channel: str = "D0ALICEDM", ts: str | None = None
) -> dict[str, Any]:
    """A direct message to the bot (`message` event, channel_type "im")."""
    ts = ts or new_ts()
    return {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": ts,
        "team": workspace.TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im",
    }


def bot_message(
    text: str,
    *,
    bot_id: str = workspace.BOT_ID,
    channel: str = workspace.CHANNEL_ID,
    ts: str | None = None,
    channel_type: str = "channel",
) -> dict[str, Any]:
    """A message posted by a bot (subtype bot_message): the app must not answer it."""
    ts = ts or new_ts()
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "bot_id": bot_id,
        "username": workspace.BOT_NAME,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }


def message_changed(
    text: str,
    *,
    previous_text: str = "",
    user: str = workspace.USER_ID,
    channel: str = workspace.CHANNEL_ID,
    ts: str | None = None,
    channel_type: str = "channel",
) -> dict[str, Any]:
    """An edit of the message at `ts` (subtype message_changed; the event has its own, later ts)."""
    original_ts = ts or new_ts()
    event_ts = new_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
        "message": {
            "type": "message",
            "user": user,
            "text": text,
            "ts": original_ts,
            "edited": {"user": user, "ts": event_ts},
        },
        "previous_message": {"type": "message", "user": user, "text": previous_text, "ts": original_ts},
    }


def reaction_added(
    reaction: str,
    *,
    user: str = workspace.USER_ID,
    item_channel: str = workspace.CHANNEL_ID,
    item_ts: str,
    item_user: str = workspace.BOT_USER_ID,
) -> dict[str, Any]:
    """`reaction_added`; skin tones arrive as e.g. ``+1::skin-tone-2``."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": item_channel, "ts": item_ts},
        "event_ts": new_ts(),
    }


def reaction_removed(
    reaction: str,
    *,
    user: str = workspace.USER_ID,
    item_channel: str = workspace.CHANNEL_ID,
    item_ts: str,
    item_user: str = workspace.BOT_USER_ID,
) -> dict[str, Any]:
    """`reaction_removed`: the same shape as `reaction_added`."""
    added = reaction_added(reaction, user=user, item_channel=item_channel, item_ts=item_ts, item_user=item_user)
    return {**added, "type": "reaction_removed"}


def url_verification_payload(challenge: str) -> dict[str, Any]:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def url_verification(challenge: str) -> tuple[bytes, str]:
    return json.dumps(url_verification_payload(challenge)).encode(), JSON


# -- interactions ----------------------------------------------------------------------------------------------


def block_actions_payload(
    action_id: str,
    value: str = "",
    *,
    user_id: str = workspace.USER_ID,
    user_name: str = workspace.USER_NAME,
    channel_id: str = workspace.CHANNEL_ID,
    channel_name: str = workspace.CHANNEL_NAME,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    block_id: str = "actions",
    response_url: str = NO_RESPONSE_URL,
    trigger_id: str | None = None,
    team_id: str = workspace.TEAM_ID,
    api_app_id: str = workspace.APP_ID,
) -> dict[str, Any]:
    """A button click (`block_actions`) on a message the bot posted (in thread `thread_ts`, if given)."""
    message_ts = message_ts or new_ts()
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": workspace.TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": {
            "type": "message",
            "user": workspace.BOT_USER_ID,
            "bot_id": workspace.BOT_ID,
            "ts": message_ts,
            "text": "",
            "blocks": [],
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "action_ts": new_ts(),
            }
        ],
    }


def block_actions(action_id: str, value: str = "", **fields: Any) -> tuple[bytes, str]:
    """An interaction as Slack POSTs it: the form field ``payload=<json>``."""
    payload = json.dumps(block_actions_payload(action_id, value, **fields))
    return urlencode({"payload": payload}).encode(), FORM


# -- sending ---------------------------------------------------------------------------------------------------


class SlackSender:
    """POSTs to an app's Slack endpoint as Slack does, signed with the app's signing secret."""

    def __init__(self, app_url: str, secret: str, *, timeout: float = 10) -> None:
        self.app_url = app_url
        self.secret = secret
        self.timeout = timeout

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
        headers: dict[str, str] | None = None,
    ) -> SentResponse:
        """`headers` are sent as given, over the ones Slack would send (to send what Slack never does)."""
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign("not-" + self.secret if bad_signature else self.secret, body, timestamp),
            **(headers or {}),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        target = urlsplit(self.app_url)
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=self.timeout)
        try:
            connection.request("POST", target.path or "/", body=body, headers=headers)
            response = connection.getresponse()
            return SentResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()
