"""What a Slack payload must look like before anything acts on it. Pure functions over dicts.

Slack's payloads are JSON objects; a signed request whose body is a list, `null`, an `event` that
is a list or a field of the wrong type is answered 400 at the door (bot/slack/endpoint.py), and
the listeners read fields through `text()` / `obj()`, which never raise, so a payload that got
past the door (Socket Mode has none) still cannot crash them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Fields our listeners read, and the type each must have where present.
_STRINGS = ("type", "event_id", "team_id", "api_app_id", "token", "challenge", "response_url", "trigger_id")
_EVENT_STRINGS = ("type", "user", "channel", "text", "ts", "thread_ts", "channel_type", "subtype", "bot_id", "reaction")
_COMMAND_STRINGS = ("command", "text", "user_id", "channel_id", "response_url", "trigger_id", "team_id")


def text(payload: Any, *path: str) -> str:
    """The string at `path` (e.g. `text(body, "user", "id")`), or "" when it is absent or not a string."""
    value = obj_at(payload, *path)
    return value if isinstance(value, str) else ""


def obj(payload: Any, *path: str) -> Mapping[str, Any]:
    """The object at `path`, or an empty one when it is absent or not an object."""
    value = obj_at(payload, *path)
    return value if isinstance(value, Mapping) else {}


def obj_at(payload: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(key)
    return payload


def problem(body: Any) -> str | None:
    """What makes a parsed request body unusable, or None. `body` is the JSON of an event
    request, or the fields of a form-encoded one with `payload` already parsed."""
    if not isinstance(body, Mapping):
        return f"the body is a JSON {type(body).__name__}, not an object"
    if "payload" in body:
        return _interaction_problem(body["payload"])
    if "command" in body:
        return _wrong_types(body, _COMMAND_STRINGS, "")
    if (wrong := _wrong_types(body, _STRINGS, "")) is not None:
        return wrong
    if body.get("type") == "event_callback":
        event = body.get("event")
        if not isinstance(event, Mapping):
            return "`event` is not an object"
        if (wrong := _wrong_types(event, _EVENT_STRINGS, "event.")) is not None:
            return wrong
        if "item" in event and not isinstance(event["item"], Mapping):
            return "`event.item` is not an object"
    return None


def _interaction_problem(payload: Any) -> str | None:
    if not isinstance(payload, Mapping):
        return f"`payload` is a JSON {type(payload).__name__}, not an object"
    if (wrong := _wrong_types(payload, _STRINGS, "payload.")) is not None:
        return wrong
    for name in ("user", "channel", "container", "message", "team"):
        if name in payload and payload[name] is not None and not isinstance(payload[name], Mapping):
            return f"`payload.{name}` is not an object"
    actions = payload.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, Mapping) for a in actions):
        return "`payload.actions` is not a list of objects"
    return next((w for a in actions if (w := _wrong_types(a, ("action_id", "block_id"), "action.")) is not None), None)


def _wrong_types(fields: Mapping[str, Any], names: tuple[str, ...], where: str) -> str | None:
    wrong = next((n for n in names if n in fields and not isinstance(fields[n], str)), None)
    return None if wrong is None else f"`{where}{wrong}` is not a string"
