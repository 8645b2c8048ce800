"""Server-side table printing: the columns and rows kubectl shows, as the API server makes them.

`KubeCluster` asks for `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` and reads the
answer here; `SimulatedCluster` makes the same documents with `integrations.cluster.printers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # "Ready"; kubectl shows it upper-cased
    type: str  # string, integer, number, boolean, date
    priority: int = 0  # 0: always shown; higher: only with `-o wide`
    format: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Any, ...]
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class ServerTable:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


def table_from(document: Json) -> ServerTable:
    """One Table document; a plain object or list (a server without table printing) gets Name and Age."""
    if document.get("kind") != "Table":
        items = document.get("items") if "items" in document else [document]
        return default_table(items or [])
    columns = tuple(
        Column(c.get("name", ""), c.get("type", "string"), int(c.get("priority", 0)), c.get("format", ""))
        for c in document.get("columnDefinitions") or []
    )
    rows = []
    for row in document.get("rows") or []:
        meta = (row.get("object") or {}).get("metadata") or {}
        cells = tuple(row.get("cells") or ())
        rows.append(Row(cells, meta.get("namespace", ""), meta.get("name") or str(cells[0] if cells else "")))
    return ServerTable(columns, tuple(rows))


def default_table(items: Iterable[Json]) -> ServerTable:
    """What the API server's default table convertor shows: Name and Created At."""
    columns = (Column("Name", "string", 0, "name"), Column("Created At", "date", 0))
    rows = tuple(
        Row(
            (o["metadata"]["name"], o["metadata"].get("creationTimestamp", "")),
            o["metadata"].get("namespace", ""),
            o["metadata"]["name"],
        )
        for o in items
    )
    return ServerTable(columns, rows)


def joined(pages: Iterable[ServerTable]) -> ServerTable:
    columns: tuple[Column, ...] = ()
    rows: list[Row] = []
    for page in pages:
        columns = columns or page.columns
        rows.extend(page.rows)
    return ServerTable(columns, tuple(rows))
