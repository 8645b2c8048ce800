"""Glob patterns for policy files: `*` matches any run of characters, everything else itself.

Matched by a small scanner, not a regular expression: a pattern is cut at its stars and the
pieces are found left to right with `str.find`, so a match takes time linear in the value and
the pattern (fnmatch's translated regexes can backtrack). Values are never patterns: a
namespace called `shop*` is only ever the literal text `shop*`.

`?`, `[`, `]`, `{` and `}` are refused rather than taken literally, so that a pattern written
for fnmatch or a shell (`[s]hop`, `prod-?`) is an error in check-config, not a silent miss.
"""

from __future__ import annotations

from dataclasses import dataclass

RESERVED = "?[]{}"


class BadGlob(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Glob:
    pattern: str
    _pieces: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str) -> Glob:
        if not pattern:
            raise BadGlob("an empty pattern matches nothing: use `*` for anything")
        if bad := sorted({c for c in pattern if c in RESERVED}):
            shown = " ".join(f"`{c}`" for c in bad)
            raise BadGlob(f"`{pattern}` uses {shown}: only `*` is a wildcard in policy patterns")
        return cls(pattern, tuple(pattern.split("*")))

    @property
    def anything(self) -> bool:
        return all(not piece for piece in self._pieces)

    @property
    def literal(self) -> bool:
        return len(self._pieces) == 1

    def match(self, value: str) -> bool:
        pieces = self._pieces
        if len(pieces) == 1:
            return value == pieces[0]
        first, *middle, last = pieces
        if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
            return False
        at, end = len(first), len(value) - len(last)
        for piece in middle:
            found = value.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True

    def __str__(self) -> str:
        return self.pattern


@dataclass(frozen=True, slots=True)
class Globs:
    """Several patterns: matches when any does. Empty matches nothing."""

    items: tuple[Glob, ...]

    @classmethod
    def parse(cls, patterns: tuple[str, ...] | list[str]) -> Globs:
        return cls(tuple(Glob.parse(p) for p in patterns))

    @property
    def anything(self) -> bool:
        return any(g.anything for g in self.items)

    def match(self, value: str) -> bool:
        return any(g.match(value) for g in self.items)

    def __str__(self) -> str:
        return ", ".join(g.pattern for g in self.items)


ANY = Globs((Glob.parse("*"),))
