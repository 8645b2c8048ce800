"""What Slack refuses in a message, as pure functions, so rendering bugs fail tests instead of production.

The limits are Slack's documented ones (see shared/notes/slack-platform.md). Slack answers a refused
message with `{"ok": false, "error": ..., "response_metadata": {"messages": ["[ERROR] ... [json-pointer:...]"]}}`;
`check_message` returns that error code and one such explanation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_ID_LENGTH = 255
MAX_BLOCKS_JSON = 13_000  # `msg_blocks_too_long` in practice, measured on compact JSON
MAX_TEXT = 40_000  # longer `text` is accepted and truncated, not refused

TEXT_TYPES = frozenset({"mrkdwn", "plain_text"})
BLOCK_TYPES = frozenset(
    {"actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text", "section", "video"}
)


@dataclass(frozen=True)
class MessageError:
    error: str  # Slack's error code, e.g. "invalid_blocks"
    detail: str  # what Slack puts in response_metadata.messages


def validate_message(args: Mapping[str, Any]) -> str | None:
    """The error code Slack would answer for these chat.* / response_url arguments, or None if accepted."""
    problem = check_message(args)
    return problem.error if problem else None


def check_message(args: Mapping[str, Any]) -> MessageError | None:
    blocks = args.get("blocks")
    if not args.get("text") and not blocks and not args.get("attachments"):
        return MessageError("no_text", "[ERROR] a message needs text, blocks or attachments")
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        return MessageError("invalid_blocks_format", "[ERROR] blocks must be a JSON array [json-pointer:/blocks]")
    if len(blocks) > MAX_BLOCKS:
        return _invalid(f"no more than {MAX_BLOCKS} items allowed", "/blocks")
    for index, block in enumerate(blocks):
        problem = _block_problem(block, f"/blocks/{index}")
        if problem:
            return MessageError("invalid_blocks", problem)
    size = len(json.dumps(blocks, separators=(",", ":"), ensure_ascii=False))
    if size > MAX_BLOCKS_JSON:
        return MessageError(
            "msg_blocks_too_long", f"[ERROR] blocks are {size} characters of JSON, over {MAX_BLOCKS_JSON}"
        )
    return None


def truncate_text(text: str) -> tuple[str, bool]:
    """Slack keeps the first 40,000 characters of `text` and says nothing."""
    return (text[:MAX_TEXT], True) if len(text) > MAX_TEXT else (text, False)


def _invalid(reason: str, pointer: str) -> MessageError:
    return MessageError("invalid_blocks", _explain(reason, pointer))


def _explain(reason: str, pointer: str) -> str:
    return f"[ERROR] {reason} [json-pointer:{pointer}]"


def _block_problem(block: Any, at: str) -> str | None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return _explain("missing required field: type", at)
    if block["type"] not in BLOCK_TYPES:
        return _explain(f"unsupported type: {block['type']}", f"{at}/type")
    problem = _id_problem(block, "block_id", at)
    if problem:
        return problem
    check = _BLOCK_CHECKS.get(block["type"])
    return check(block, at) if check else None


def _id_problem(obj: Mapping[str, Any], key: str, at: str) -> str | None:
    value = obj.get(key)
    if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
        return _explain(f"must be less than {MAX_ID_LENGTH + 1} characters", f"{at}/{key}")
    return None


def _text_problem(obj: Any, at: str, limit: int, *, plain_only: bool = False) -> str | None:
    if not isinstance(obj, dict):
        return _explain("must provide an object", at)
    if obj.get("type") not in TEXT_TYPES:
        return _explain("missing required field: type", f"{at}/type")
    if plain_only and obj["type"] != "plain_text":
        return _explain("must be plain_text", f"{at}/type")
    text = obj.get("text")
    if not isinstance(text, str):
        return _explain("missing required field: text", f"{at}/text")
    if not text:
        return _explain("must be more than 0 characters", f"{at}/text")
    if len(text) > limit:
        return _explain(f"must be less than {limit + 1} characters", f"{at}/text")
    return None


def _element_problem(element: Any, at: str) -> str | None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return _explain("missing required field: type", at)
    return _id_problem(element, "action_id", at)


def _elements(block: Mapping[str, Any], at: str, limit: int) -> tuple[list[Any], str | None]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [], _explain("must provide at least 1 element", f"{at}/elements")
    if len(elements) > limit:
        return [], _explain(f"no more than {limit} items allowed", f"{at}/elements")
    return elements, None


def _section(block: Mapping[str, Any], at: str) -> str | None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return _explain("must provide either text or fields", at)
    if text is not None:
        problem = _text_problem(text, f"{at}/text", MAX_SECTION_TEXT)
        if problem:
            return problem
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
            return _explain(f"no more than {MAX_SECTION_FIELDS} items allowed", f"{at}/fields")
        for index, field in enumerate(fields):
            problem = _text_problem(field, f"{at}/fields/{index}", MAX_FIELD_TEXT)
            if problem:
                return problem
    accessory = block.get("accessory")
    return _element_problem(accessory, f"{at}/accessory") if accessory is not None else None


def _header(block: Mapping[str, Any], at: str) -> str | None:
    return _text_problem(block.get("text"), f"{at}/text", MAX_HEADER_TEXT, plain_only=True)


def _context(block: Mapping[str, Any], at: str) -> str | None:
    elements, problem = _elements(block, at, MAX_CONTEXT_ELEMENTS)
    for index, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            continue
        problem = problem or _text_problem(element, f"{at}/elements/{index}", MAX_SECTION_TEXT)
    return problem


def _actions(block: Mapping[str, Any], at: str) -> str | None:
    elements, problem = _elements(block, at, MAX_ACTIONS_ELEMENTS)
    for index, element in enumerate(elements):
        problem = problem or _element_problem(element, f"{at}/elements/{index}")
    return problem


def _input(block: Mapping[str, Any], at: str) -> str | None:
    element = block.get("element")
    return _element_problem(element, f"{at}/element")


_BLOCK_CHECKS: dict[str, Callable[[Mapping[str, Any], str], str | None]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
}
