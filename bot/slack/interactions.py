"""Routing of buttons and reactions to their handlers, by `action_id` prefix and emoji name.

Later issues ([approvals], [deploy]) register handlers here; the Slack front door only routes.
Every Pilothouse `action_id` starts with `PREFIX`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.policy.subject import Subject

PREFIX = "pilothouse:"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A click, in a channel Pilothouse is enabled in; `subject` is who clicked, resolved as for
    a typed command (ours or external, their groups): handlers ask `authorise` with it."""

    user: str
    channel: str
    action_id: str
    value: str
    message_ts: str | None
    respond: Callable[..., Any]
    subject: Subject


@dataclass(frozen=True, slots=True)
class Reaction:
    user: str
    channel: str
    message_ts: str
    emoji: str  # without the skin tone
    added: bool
    subject: Subject
    team: str | None = None  # the person's team as the event states it


ButtonHandler = Callable[[ButtonPress], None]
ReactionHandler = Callable[[Reaction], None]


class Interactions:
    def __init__(self) -> None:
        self._buttons: dict[str, ButtonHandler] = {}
        self._reactions: dict[str, ReactionHandler] = {}

    def on_button(self, prefix: str, handler: ButtonHandler) -> None:
        if not prefix.startswith(PREFIX):
            raise ValueError(f"action_id prefixes start with {PREFIX!r}: {prefix!r}")
        self._buttons[prefix] = handler

    def on_reaction(self, emoji: str, handler: ReactionHandler) -> None:
        self._reactions[emoji] = handler

    def button(self, action_id: str) -> ButtonHandler | None:
        """The handler with the longest matching prefix."""
        matching = [p for p in self._buttons if action_id.startswith(p)]
        return self._buttons[max(matching, key=len)] if matching else None

    def reaction(self, emoji: str) -> ReactionHandler | None:
        return self._reactions.get(emoji)
