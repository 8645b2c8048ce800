"""What a command answers: a few small, frozen building blocks, independent of any chat.

Renderers in `integrations.render` turn a `Reply` into shell text or Slack Block Kit; the
handlers never format for one chat in particular.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from commands.limits import REPLY_CHARS

T = TypeVar("T")

Level = Literal["ok", "info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-line status: success, information, warning or error."""

    level: Level
    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs, e.g. the top of a `describe`."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under column headers. `omitted` counts rows cut to keep the reply chat-sized."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    omitted: int = 0


@dataclass(frozen=True, slots=True)
class Preformatted:
    """Lines shown verbatim in a monospaced block (logs, usage)."""

    lines: tuple[str, ...]
    omitted: int = 0


@dataclass(frozen=True, slots=True)
class Button:
    """A shortcut for a chat command: clicking it runs `command` as the person who clicked.

    Every button has a command a person could type instead, so every chat can offer it (the
    shell shows the command). A button that changes the cluster asks for confirmation first.
    """

    label: str
    command: str
    changes_cluster: bool = False
    style: Literal["primary", "danger"] | None = None
    confirm: str | None = None  # a question asked before the click counts (a change always asks one)


@dataclass(frozen=True, slots=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Heading | Paragraph | Notice | Fields | Table | Preformatted | Actions


@dataclass(frozen=True, slots=True)
class Follow:
    """A rollout (or a Job) the chat should follow after this reply, showing its progress in place."""

    cluster: str
    namespace: str
    name: str  # the workload
    resource: str = "deployments"  # or "statefulsets", "daemonsets"; "jobs" for a Job run to its end

    @property
    def target(self) -> str:
        """How commands name it: `web`, `sts/db`, `ds/agent`."""
        short = {"statefulsets": "sts/", "daemonsets": "ds/", "jobs": "job/"}.get(self.resource, "")
        return f"{short}{self.name}"


@dataclass(frozen=True, slots=True)
class Reply:
    blocks: tuple[Block, ...]
    ok: bool = True
    request_id: str | None = field(default=None, compare=False)
    follow: Follow | None = None
    # More, for whoever wants it: a thread under the reply in Slack, printed after it elsewhere.
    details: tuple[Block, ...] = ()
    # What the command did: "asked" a question back (which container?), or "nothing" was needed.
    effect: Literal["done", "asked", "nothing"] = "done"


def table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, limit: int) -> Table:
    """A table of at most `limit` rows; the rest is counted, never silently dropped."""
    kept = tuple(tuple(r) for r in rows[:limit])
    return Table(tuple(columns), kept, omitted=max(0, len(rows) - limit))


def error_reply(message: str, hint: str | None = None, request_id: str | None = None) -> Reply:
    blocks: list[Block] = [Notice("error", message)]
    if hint:
        blocks.append(Paragraph(hint))
    return Reply(tuple(blocks), ok=False, request_id=request_id)


def bounded(reply: Reply, limit: int = REPLY_CHARS) -> Reply:
    """The reply with at most `limit` characters of text in its blocks (and as many again in its
    details), cut where the limit falls and saying so; buttons are always kept."""
    blocks, details = _bounded(reply.blocks, limit), _bounded(reply.details, limit)
    if blocks is reply.blocks and details is reply.details:
        return reply
    return replace(reply, blocks=blocks, details=details)


def _bounded(blocks: tuple[Block, ...], limit: int) -> tuple[Block, ...]:
    left = limit
    for i, block in enumerate(blocks):
        size = _size(block)
        if size > left:
            kept = [*blocks[:i], _cut(block, left)]
            kept.append(Notice("warning", f"The reply was cut here: it was over {limit:,} characters."))
            return (*kept, *(b for b in blocks[i + 1 :] if isinstance(b, Actions)))
        left -= size
    return blocks


def _size(block: Block) -> int:
    match block:
        case Heading(text) | Paragraph(text) | Notice(_, text):
            return len(text)
        case Fields(pairs):
            return sum(len(k) + len(v) for k, v in pairs)
        case Table(columns, rows, _):
            return sum(map(len, columns)) + sum(len(cell) for row in rows for cell in row)
        case Preformatted(lines, _):
            return sum(len(line) + 1 for line in lines)
        case Actions(buttons):
            return sum(len(b.label) + len(b.command) for b in buttons)
    return 0


def _cut(block: Block, left: int) -> Block:
    """As much of `block` as fits in `left` characters."""
    match block:
        case Heading(text) | Paragraph(text) | Notice(_, text):
            return replace(block, text=text[:left] + "…")
        case Fields(pairs):
            return Fields(_fitting(pairs, left, lambda pair: len(pair[0]) + len(pair[1])))
        case Table(columns, rows, omitted):
            kept = _fitting(rows, left, lambda row: sum(map(len, row)))
            return Table(columns, kept, omitted + len(rows) - len(kept))
        case Preformatted(lines, omitted):
            kept_lines = _fitting(lines, left, lambda line: len(line) + 1)
            return Preformatted(kept_lines, omitted + len(lines) - len(kept_lines))
    return block


def _fitting(items: tuple[T, ...], left: int, size: Callable[[T], int]) -> tuple[T, ...]:
    kept = 0
    for item in items:
        left -= size(item)
        if left < 0:
            break
        kept += 1
    return items[:kept]
