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
    anything: bool  # `*`, `**`: matches every value
    literal: bool  # no `*`: matches only itself

    @classmethod
    def parse(cls, pattern: str) -> Glob:
        if not pattern:
            raise BadGlob("an empty pattern matches nothing: use `*` for anything")
        if bad := sorted({c for c in pattern if c in RESERVED}):
            shown = " ".join(f"`{c}`" for c in bad)
            raise BadGlob(f"`{pattern}` uses {shown}: only `*` is a wildcard in policy patterns")
        pieces = tuple(pattern.split("*"))
        return cls(pattern, pieces, all(not p for p in pieces), len(pieces) == 1)

    def match(self, value: str) -> bool:
        if self.anything:
            return True
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

    def could_start_with(self, prefix: str) -> bool:
        """Whether some value this matches starts with `prefix` (`get *` and `get pods` do for `get `)."""
        first = self._pieces[0]
        return first.startswith(prefix) or (not self.literal and prefix.startswith(first))

    def __str__(self) -> str:
        return self.pattern


@dataclass(frozen=True, slots=True)
class Globs:
    """Several patterns: matches when any does. Empty matches nothing. Decided on the ack path,
    so the common cases are answered without a loop: anything, or one of some literal names."""

    items: tuple[Glob, ...]
    anything: bool
    _literals: frozenset[str]
    _patterns: tuple[Glob, ...]

    @classmethod
    def parse(cls, patterns: tuple[str, ...] | list[str]) -> Globs:
        items = tuple(Glob.parse(p) for p in patterns)
        literals = frozenset(g.pattern for g in items if g.literal)
        return cls(items, any(g.anything for g in items), literals, tuple(g for g in items if not g.literal))

    def match(self, value: str) -> bool:
        if self.anything or value in self._literals:
            return True
        return any(glob.match(value) for glob in self._patterns)

    def __str__(self) -> str:
        return ", ".join(g.pattern for g in self.items)


ANY = Globs.parse(["*"])
