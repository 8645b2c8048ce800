"""Handlers: one function per action type, from a validated action to a `Reply`.

They talk to clusters only through the `Cluster` port and never format for a chat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers import audit, cronjobs, deploy, digest, freezes, locks, meta, nodes, read
from bot.handlers.context import Context
from commands.registry import Action
from commands.replies import Reply

Handler = Callable[[Any, Context], Reply]

HANDLERS: dict[type[Action], Handler] = {
    **meta.HANDLERS,
    **read.HANDLERS,
    **deploy.HANDLERS,
    **cronjobs.HANDLERS,
    **nodes.HANDLERS,
    **digest.HANDLERS,
    **audit.HANDLERS,
    **locks.HANDLERS,
    **freezes.HANDLERS,
}

__all__ = ["HANDLERS", "Context", "Handler"]
