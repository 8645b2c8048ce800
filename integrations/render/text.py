"""Plain-text rendering for the shell and for `--print` output: aligned, compact, honest."""

from __future__ import annotations

from commands.redact import mask_value
from commands.replies import Actions, Block, Fields, Heading, Notice, Paragraph, Preformatted, Reply, Table

_MARKS = {"ok": "✔", "info": "·", "warning": "⚠", "error": "✖"}


def render(reply: Reply) -> str:
    reply = mask_value(reply)  # no token-like string leaves in a reply
    lines: list[str] = []
    for block in (*reply.blocks, *reply.details):
        lines.extend(_block(block))
    if not reply.ok and reply.request_id:
        lines.append(f"(reference: {reply.request_id})")
    return "\n".join(lines)


def _block(block: Block) -> list[str]:
    match block:
        case Heading(text):
            return [text]
        case Paragraph(text):
            return [text]
        case Notice(level, text):
            return [f"{_MARKS[level]} {text}"]
        case Fields(pairs):
            width = max((len(label) for label, _ in pairs), default=0)
            return [f"{label + ':':<{width + 1}} {value}" for label, value in pairs]
        case Table():
            return _table(block)
        case Preformatted(lines, omitted):
            return [*lines, *([f"… and {omitted} more lines"] if omitted else [])]
        case Actions(buttons):
            return [f"→ {b.label}: `{b.command}`" for b in buttons]
    raise TypeError(f"cannot render {type(block).__name__}")


def _table(block: Table) -> list[str]:
    rows = [block.columns, *block.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(block.columns))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    if block.omitted:
        out.append(f"… and {block.omitted} more")
    return out
