"""Small, shared formatting for handler output: ages, truncation, pluralisation."""

from __future__ import annotations

from datetime import datetime

ROW_LIMIT = 50  # rows in one chat reply; the rest is counted ("… and N more")
MESSAGE_WIDTH = 120


def age(created: datetime | None, now: datetime) -> str:
    """kubectl-style age: 45s, 12m, 5h, 3d."""
    if created is None:
        return "?"
    seconds = max(0, int((now - created).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "d" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def clip(text: str, width: int = MESSAGE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def where(namespace: str | None, cluster: str) -> str:
    scope = f"namespace `{namespace}`" if namespace else "all namespaces"
    return f"{scope} on `{cluster}`"
