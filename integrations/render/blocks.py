"""Slack rendering: a `Reply` as Block Kit blocks that Slack accepts, plus a file when it does not fit.

Pure and deterministic: plain dicts in, plain dicts out, no I/O and no slack_sdk. Every Slack limit
below is respected by construction; when the whole reply cannot be shown (too many blocks, too much
JSON, a value cut), the blocks that fit are kept in order, a last `context` block says so, and
`SlackMessage.attachment` carries the complete plain-text reply for the caller to upload
(`files_upload_v2`). Content is never dropped silently: it is in the blocks or in the attachment.

Text from a `Reply` is raw: `&`, `<` and `>` are escaped exactly once, on the way into mrkdwn (and
into the fallback `text`, which Slack parses as mrkdwn too); `plain_text` (headers) is left as is.
Lengths are measured after escaping, and no cut ever splits an `&amp;`-style entity.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from commands.redact import mask_value
from commands.replies import Actions, Block, Button, Fields, Heading, Notice, Paragraph, Preformatted, Reply, Table
from integrations.render import text as text_render

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks), and our margin under the
# ~13k characters of blocks JSON past which chat.postMessage answers `msg_blocks_too_long`.
MAX_BLOCKS = 50
MAX_BLOCKS_JSON = 12_000  # len(json.dumps(blocks)), as slack_sdk sends them (ASCII-escaped)
MAX_SECTION_TEXT = 3_000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3_000

EMOJI = {"ok": ":white_check_mark:", "info": ":information_source:", "warning": ":warning:", "error": ":x:"}

_FENCE = "```"
_CODE_OVERHEAD = len(_FENCE) * 2 + 2  # "```\n" + body + "\n```"
_MAX_CODE_LINE = MAX_SECTION_TEXT - _CODE_OVERHEAD
_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Attachment:
    """The complete reply as a file, for when the blocks could not hold all of it."""

    filename: str
    title: str
    content: str


@dataclass(frozen=True, slots=True)
class SlackMessage:
    text: str  # fallback for notifications and screen readers: never empty, at most 3,000 chars
    blocks: tuple[dict[str, Any], ...]
    attachment: Attachment | None = None


def render_message(reply: Reply, *, title: str | None = None) -> SlackMessage:
    """Render `reply` for Slack. `title` (e.g. the command, "get pods") names the attachment.
    Its `details` are not part of the message: they go into its thread (`render_details`)."""
    reply = mask_value(replace(reply, details=()))  # no token-like string leaves in a reply
    parts: list[_Part] = []
    lossy = False
    for block in reply.blocks:
        rendered, cut = _block(block)
        parts.extend(rendered)
        lossy = lossy or cut

    reference = _reference(reply)
    complete = [p.block for p in parts] + ([_context(reference)] if reference else [])
    fallback = _fallback_text(reply)
    if not lossy and _fits(complete):
        return SlackMessage(fallback, tuple(complete))

    attachment = _attachment(reply, title)
    return SlackMessage(fallback, tuple(_pack(parts, attachment, reference)), attachment)


def render_details(reply: Reply, *, title: str | None = None) -> SlackMessage | None:
    """The reply's details as a message of their own, for its thread; None when it has none."""
    if not reply.details:
        return None
    return render_message(Reply(reply.details), title=f"{title} (details)" if title else None)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn requires escaped (once: raw text in, mrkdwn out)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- one block at a time --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    """A rendered block; `shrink(n)` rebuilds it with only its first n items (code lines, fields)."""

    block: dict[str, Any]
    items: int = 0
    shrink: Callable[[int], dict[str, Any]] | None = None


def _block(block: Block) -> tuple[list[_Part], bool]:
    """The parts for one reply block, and whether anything had to be cut to fit Slack's limits."""
    match block:
        case Heading(text):
            return _header(text)
        case Paragraph(text):
            return _sections(escape(text)), False
        case Notice(level, text):
            return _sections(f"{EMOJI[level]} {escape(text)}"), False
        case Fields(pairs):
            return _fields(pairs)
        case Table():
            lines = _table_lines(block)
            return _code(lines, f"… and {block.omitted} more" if block.omitted else None)
        case Preformatted(lines, omitted):
            return _code(list(lines), f"… and {omitted} more lines" if omitted else None)
        case Actions(buttons):
            return _actions(buttons)
    raise TypeError(f"cannot render {type(block).__name__}")


COMMAND_ACTION = "pilothouse:command:"  # buttons that run a chat command; the value is the command
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000


def _actions(buttons: Sequence[Button]) -> tuple[list[_Part], bool]:
    """Buttons in actions blocks (25 each); a command too long for a button is left as text."""
    usable = [b for b in buttons if len(b.command) <= MAX_BUTTON_VALUE]
    parts = [
        _Part(
            {
                "type": "actions",
                "elements": [_button(b, start + i) for i, b in enumerate(usable[start : start + MAX_ACTIONS])],
            }
        )
        for start in range(0, len(usable), MAX_ACTIONS)
    ]
    too_long = [b for b in buttons if b not in usable]
    parts += [_Part(_section(f"{escape(b.label)}: `{escape(b.command)}`")) for b in too_long]
    return parts, False


def _button(button: Button, index: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(button.label, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": f"{COMMAND_ACTION}{index}",
        "value": button.command,
    }
    if button.style:
        element["style"] = button.style
    if button.changes_cluster or button.confirm:
        # Never one mis-tap from a change (or a vote): Slack shows this dialog before the click counts.
        element["confirm"] = {
            "title": {"type": "plain_text", "text": _cut(button.confirm or "Change the cluster?", 100)},
            "text": {"type": "mrkdwn", "text": _cut(f"This runs `{escape(button.command)}`.", MAX_SECTION_TEXT)},
            "confirm": {"type": "plain_text", "text": "Run it"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
    return element


def _header(text: str) -> tuple[list[_Part], bool]:
    plain = " ".join(text.replace("`", "").split())
    if not plain:
        return [], False
    cut = _cut(plain, MAX_HEADER_TEXT)
    header = {"type": "header", "text": {"type": "plain_text", "text": cut, "emoji": True}}
    return [_Part(header)], cut != plain


def _sections(mrkdwn: str) -> list[_Part]:
    return [_Part(_section(chunk)) for chunk in _split_text(mrkdwn, MAX_SECTION_TEXT)]


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def _fields(pairs: Sequence[tuple[str, str]]) -> tuple[list[_Part], bool]:
    fields: list[dict[str, Any]] = []
    lossy = False
    for label, value in pairs:
        label = " ".join(label.split())
        full = "\n".join(p for p in (f"*{escape(label)}*" if label else "", escape(value)) if p) or "—"
        text = _cut(full, MAX_FIELD_TEXT)
        lossy = lossy or text != full
        fields.append({"type": "mrkdwn", "text": text})
    parts = []
    for start in range(0, len(fields), MAX_FIELDS):
        chunk = tuple(fields[start : start + MAX_FIELDS])
        parts.append(_Part(_fields_section(chunk, len(chunk)), len(chunk), partial(_fields_section, chunk)))
    return parts, lossy


def _fields_section(fields: tuple[dict[str, Any], ...], n: int) -> dict[str, Any]:
    return {"type": "section", "fields": list(fields[:n])}


def _table_lines(block: Table) -> list[str]:
    """Rows aligned exactly like the text renderer (header first), without its "… and N more" line."""
    if not block.columns:
        return []
    rows = [block.columns, *block.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(block.columns))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _code(lines: list[str], omitted: str | None) -> tuple[list[_Part], bool]:
    """Lines in ``` blocks, as many sections as needed, each closed and under 3,000 characters."""
    escaped = [escape(_unfence(line)) for line in lines]
    kept = [_cut(line, _MAX_CODE_LINE) for line in escaped]
    lossy = kept != escaped
    parts: list[_Part] = []
    chunk: list[str] = []
    size = _CODE_OVERHEAD - 1  # a chunk of n lines holds n - 1 newlines between them
    for line in kept:
        if chunk and size + len(line) + 1 > MAX_SECTION_TEXT:
            parts.append(_code_part(tuple(chunk)))
            chunk, size = [], _CODE_OVERHEAD - 1
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        parts.append(_code_part(tuple(chunk)))
    if omitted:
        parts.append(_Part(_context(omitted)))
    return parts, lossy


def _code_part(lines: tuple[str, ...]) -> _Part:
    return _Part(_code_section(lines, len(lines)), len(lines), partial(_code_section, lines))


def _code_section(lines: tuple[str, ...], n: int) -> dict[str, Any]:
    return _section(_FENCE + "\n" + "\n".join(lines[:n]) + "\n" + _FENCE)


def _unfence(line: str) -> str:
    """Break runs of three or more backticks (zero-width spaces) so a line cannot close the block."""
    return re.sub(r"`{3,}", lambda m: "\u200b".join(m.group()), line) if _FENCE in line else line


def _reference(reply: Reply) -> str | None:
    if reply.ok or not reply.request_id:
        return None
    return f"reference: `{escape(reply.request_id)}`"


# --- fitting the whole message --------------------------------------------------------------------


def _json_len(block: dict[str, Any]) -> int:
    return len(json.dumps(block))


def _fits(blocks: Sequence[dict[str, Any]]) -> bool:
    """Whether Slack takes these blocks: count, and size as `json.dumps(blocks)` (", " between)."""
    size = 2 + sum(_json_len(b) for b in blocks) + 2 * max(len(blocks) - 1, 0)
    return len(blocks) <= MAX_BLOCKS and size <= MAX_BLOCKS_JSON


def _pack(parts: Sequence[_Part], attachment: Attachment, reference: str | None) -> list[dict[str, Any]]:
    """The parts that fit, in order (the last one shortened if it can be), then the closing note."""
    lines = attachment.content.count("\n") + 1 if attachment.content else 0
    noun = "line" if lines == 1 else "lines"
    where = f"full output ({lines} {noun}) is attached as `{escape(attachment.filename)}`."

    def trailer(dropped: bool) -> dict[str, Any]:
        why = "Too long for one Slack message, only the start is shown" if dropped else "Some values were cut to fit"
        note = f":page_facing_up: {why}. The {where}"
        return _context(note, reference) if reference else _context(note)

    # Buttons are what a person acts on (a rollback, a retry): they stay, whatever is cut.
    buttons = [p.block for p in parts if p.block["type"] == "actions"][: MAX_BLOCKS // 2]
    parts = [p for p in parts if p.block["type"] != "actions"]
    # Reserve room for the longer of the two notes, so the choice of wording cannot break the fit.
    reserve = max(_json_len(trailer(True)), _json_len(trailer(False))) + 2
    reserve += sum(_json_len(b) + 2 for b in buttons)
    budget_blocks, budget_json = MAX_BLOCKS - 1 - len(buttons), MAX_BLOCKS_JSON - reserve
    kept: list[dict[str, Any]] = []
    size = 2
    dropped = False
    for part in parts:
        sep = 2 if kept else 0
        if len(kept) < budget_blocks and size + sep + _json_len(part.block) <= budget_json:
            kept.append(part.block)
            size += sep + _json_len(part.block)
            continue
        dropped = True
        if part.shrink is not None and len(kept) < budget_blocks:
            best = _largest_prefix(part, budget_json - size - sep)
            if best is not None:
                kept.append(best)
        break
    return [*kept, *buttons, trailer(dropped)]


def _largest_prefix(part: _Part, room: int) -> dict[str, Any] | None:
    """`part` with as many of its first items as fit in `room` characters of JSON (at least one), or None."""
    assert part.shrink is not None
    low, high, best = 1, part.items - 1, None
    while low <= high:  # the JSON size grows with the number of items kept
        mid = (low + high) // 2
        candidate = part.shrink(mid)
        if _json_len(candidate) <= room:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best


# --- text helpers ---------------------------------------------------------------------------------


def _safe_prefix(text: str, n: int) -> str:
    """At most n characters of escaped text, never ending inside an `&amp;`/`&lt;`/`&gt;` entity."""
    if len(text) <= n:
        return text
    amp = text.rfind("&", max(0, n - 4), n)
    if amp != -1 and text.find(";", amp, n) == -1:
        n = amp
    return text[:n]


def _cut(text: str, limit: int) -> str:
    """`text` if it fits, else its start and "…" in exactly `limit` characters or fewer."""
    return text if len(text) <= limit else _safe_prefix(text, limit - 1) + _ELLIPSIS


def _split_text(text: str, limit: int) -> list[str]:
    """Escaped mrkdwn in pieces of at most `limit`, preferably at a line break, else at a space."""
    pieces: list[str] = []
    while len(text) > limit:
        head = _safe_prefix(text, limit)
        at = head.rfind("\n")
        if at < limit // 2:
            at = head.rfind(" ")
        if at < limit // 2:
            pieces.append(head)
            text = text[len(head) :]
        else:
            pieces.append(head[:at])
            text = text[at + 1 :]
    pieces.append(text)
    return [p for p in pieces if p.strip()]


def _fallback_text(reply: Reply) -> str:
    """The first heading or notice, else the start of the plain text; escaped, never empty."""
    first = next(
        (b.text for b in reply.blocks if isinstance(b, Heading | Notice) and b.text.strip()),
        None,
    )
    raw = first if first is not None else text_render.render(reply)
    return _cut(escape(raw.strip()), MAX_FALLBACK_TEXT) or "(no output)"


def _attachment(reply: Reply, title: str | None) -> Attachment:
    heading = next((b.text for b in reply.blocks if isinstance(b, Heading) and b.text.strip()), None)
    name = " ".join((title or heading or "").replace("`", "").split())
    slug = _slug(name) or "output"
    if not slug.startswith("pilothouse"):
        slug = f"pilothouse-{slug}"
    return Attachment(
        filename=f"{slug[:80].rstrip('-')}.txt",
        title=name or "Pilothouse output",
        content=text_render.render(reply),
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
