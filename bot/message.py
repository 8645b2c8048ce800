"""A message from any chat: the pipeline's input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """Who said what, where. `user` and `channel` are stable IDs; the names are for display only."""

    user: str
    channel: str
    text: str
    user_name: str | None = None
    channel_name: str | None = None
