"""What people typed, recovered from what Slack delivers. Pure functions.

Slack escapes `&`, `<` and `>`, wraps mentions, channels and links in angle brackets
(`<@U123|alice>`, `<#C123|ops>`, `<https://x|label>`), and a mention of the bot starts every
`@Pilothouse …` message. One pass over the text undoes it: each character is looked at a
bounded number of times, whatever the message holds (a pattern that backtracks would let one
message stall the bot).
"""

from __future__ import annotations

from commands.limits import MESSAGE_CHARS

_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LINK_SCHEMES = ("http:", "https:", "mailto:")
_AFTER_MENTION = " \t\r\n\f\v,:"


def command_text(text: str) -> str:
    """The command in a message: without the leading bot mention, links and entities undone."""
    text = text[: MESSAGE_CHARS + 1]  # longer is refused by the parser; never scan more than that
    text = _without_leading_mention(text)
    out: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        end = text.find(">", start + 1)
        if end == -1:
            break  # no entity can close after here: the rest is plain text
        start = text.rfind("<", start, end)  # `a < <@U1>`: the entity begins at the last `<`
        out.append(text[pos:start])
        out.append(_entity(text[start + 1 : end]))
        pos = end + 1
    out.append(text[pos:])
    return "".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _without_leading_mention(text: str) -> str:
    stripped = text.lstrip()
    if not stripped.startswith("<@"):
        return text
    end = stripped.find(">")
    if end == -1 or not _is_id(stripped[2:end].partition("|")[0]):
        return text
    return stripped[end + 1 :].lstrip(_AFTER_MENTION)


def _entity(inside: str) -> str:
    """`<…>`'s text: a user's ID, a channel's name, a link's label or address; else as it was."""
    target, _, label = inside.partition("|")
    if target.startswith("@") and _is_id(target[1:]):
        return target[1:]
    if target.startswith("#") and _is_id(target[1:]):
        return label or target[1:]
    if target.startswith(_LINK_SCHEMES) and target.partition(":")[2]:
        return label if label else target.removeprefix("mailto:")
    return f"<{inside}>"


def _is_id(text: str) -> bool:
    return bool(text) and all(c in _ID_CHARS for c in text)
