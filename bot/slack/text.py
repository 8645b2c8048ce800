"""What people typed, recovered from what Slack delivers. Pure functions.

Slack escapes `&`, `<` and `>`, wraps mentions, channels and links in angle brackets, and a
mention of the bot starts every `@Pilothouse …` message.
"""

from __future__ import annotations

import re

_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(\|[^>]*)?>[\s,:]*")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def command_text(text: str) -> str:
    """The command in a message: without the leading bot mention, links and entities undone."""
    text = _LEADING_MENTION.sub("", text, count=1)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _CHANNEL.sub(lambda m: m.group(2) or m.group(1), text)
    text = _USER.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
