"""A server-side table (kubectl's columns) made to fit a chat message, honestly.

Columns a plain `kubectl get` shows (priority 0) are kept, all of them with `-o wide`; cells
longer than `MAX_CELL` are cut with "…"; when a row is still wider than the chat, columns are
left out from the right (never NAME) and the reply says which ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from commands.replies import Paragraph, Table, table
from integrations.cluster.tables import Row, ServerTable

CHAT_WIDTH = 120  # characters in a row before columns are left out
WIDE_WIDTH = 200
MAX_CELL = 48
WIDE_CELL = 100  # with `-o wide`, and for the last column (MESSAGE, STATUS): read in full more often


@dataclass(frozen=True, slots=True)
class ChatTable:
    table: Table
    left_out: tuple[str, ...]  # column names not shown to fit

    def note(self) -> Paragraph | None:
        if not self.left_out:
            return None
        return Paragraph(f"Left out to fit the chat: {', '.join(self.left_out)} (`describe` or `-o yaml` show them).")


def cell(value: Any, limit: int = MAX_CELL) -> str:
    """A cell as kubectl prints it: strings to their first line, booleans lowercase, nothing as <none>."""
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value)
    first = text.splitlines()[0] if text else ""
    text = first + ("..." if first != text else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(server: ServerTable, rows: Sequence[Row], *, wide: bool, namespaces: bool, limit: int) -> ChatTable:
    shown = [i for i, c in enumerate(server.columns) if wide or c.priority == 0]
    names = [server.columns[i].name.upper() for i in shown]
    last = shown[-1] if shown else -1

    def longest(i: int) -> int:
        return WIDE_CELL if wide or i == last else MAX_CELL

    body = [[cell(r.cells[i], longest(i)) if i < len(r.cells) else "" for i in shown] for r in rows]
    if namespaces:
        names = ["NAMESPACE", *names]
        body = [[r.namespace, *b] for r, b in zip(rows, body, strict=True)]
    keep = list(range(len(names)))
    fixed = {0, 1} if namespaces else {0}
    budget = WIDE_WIDTH if wide else CHAT_WIDTH
    left_out: list[str] = []

    def width() -> int:
        return sum(max([len(names[i])] + [len(b[i]) for b in body[:limit]]) + 2 for i in keep)

    while width() > budget and len(keep) > len(fixed):
        drop = next(i for i in reversed(keep) if i not in fixed)
        keep.remove(drop)
        left_out.insert(0, names[drop])
    kept_rows = [[b[i] for i in keep] for b in body]
    return ChatTable(table([names[i] for i in keep], kept_rows, limit=limit), tuple(left_out))
