"""The declarative command registry: one `CommandSpec` per command.

A spec says which words start the command, which arguments it takes, what it is for, and
whether it reads or changes the cluster. Parsing, help and policy checks all read the specs;
nothing else lists the commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

# What a command does, for the policy: look at a cluster, change it, read the audit trail, or
# ask about Pilothouse itself (help, whoami, use, yes/no: open to our own people, never a role's).
Access = Literal["read", "write", "audit", "meta"]
ACCESS_CLASSES: tuple[Access, ...] = ("read", "write", "audit")


class Action(BaseModel):
    """A parsed, validated command: frozen, and only the fields its spec declares."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def command_name(self, spec_name: str) -> str:
        """The name the policy and the audit trail see: the spec's, or a more precise one
        (`get statefulsets` for `get sts`)."""
        return spec_name

    def about(self) -> str | None:
        """The workload this action is about where no positional says it (`get sts db` → `sts/db`)."""
        return None


@dataclass(frozen=True, slots=True)
class Param:
    """One argument. With `flags` it is an option (`-n NS`); without, a positional.

    `switch` options take no value. `rest` gathers all remaining positionals into one string.
    `topic`: a Deployment the conversation may supply (`scale 5` in the thread of `deploy web`).
    """

    name: str
    metavar: str
    help: str
    flags: tuple[str, ...] = ()
    switch: bool = False
    required: bool = False
    rest: bool = False
    topic: bool = False
    unless: tuple[str, ...] = ()  # a required positional that these options (param names) stand in for
    hidden: bool = False  # set by buttons and reactions, not typed: left out of usage and help

    def missing(self, values: Mapping[str, Any]) -> bool:
        return self.required and self.name not in values and not any(u in values for u in self.unless)

    @property
    def is_option(self) -> bool:
        return bool(self.flags)

    @property
    def display(self) -> str:
        """How the person wrote or would write it: `--namespace` or `NAME`."""
        return max(self.flags, key=len) if self.flags else self.metavar

    def synopsis(self) -> str:
        if self.is_option:
            text = self.flags[0] if self.switch else f"{self.flags[0]} {self.metavar}"
        else:
            text = f"{self.metavar}..." if self.rest else self.metavar
        return text if self.required and not self.unless else f"[{text}]"


def _quoted(word: str) -> str:
    if word and not any(ch.isspace() or ch in "'\"\\" for ch in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def _always(action: Any) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Confirm:
    """A destructive command: it waits for the person's `yes` before it changes anything.

    Declared on the spec, so the pipeline, the policy, help and the audit trail all see it;
    `when` narrows it to some arguments (`scale` only to 0), `why` says it in help.
    """

    why: str
    when: Callable[[Any], bool] = _always


@dataclass(frozen=True, slots=True)
class CommandSpec:
    words: tuple[str, ...]
    model: type[Action]
    summary: str
    family: str
    access: Access = "read"
    params: tuple[Param, ...] = ()
    aliases: tuple[tuple[str, ...], ...] = ()
    examples: tuple[str, ...] = ()
    # Field values implied by the words themselves, e.g. {"kind": "pods"} for `get pods`.
    fixed: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # More ways of starting it people type, for "did you mean" only (`get pods` for `get`).
    phrases: tuple[str, ...] = ()
    confirm: Confirm | None = None  # destructive: asks for `yes` first

    def destructive(self, action: Action) -> bool:
        """Whether this action must be confirmed with `yes` before it runs."""
        return self.confirm is not None and self.confirm.when(action)

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def positionals(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.is_option)

    @property
    def topic(self) -> Param | None:
        """The positional a conversation's topic may fill (`scale 5` → `scale web 5`), if any."""
        first = self.positionals[0] if self.positionals else None
        return first if first is not None and first.topic else None

    def option(self, flag: str) -> Param | None:
        return next((p for p in self.params if flag in p.flags), None)

    def usage(self) -> str:
        return " ".join([self.name, *(p.synopsis() for p in self.params if not p.hidden)])

    def command_line(self, action: Action) -> str:
        """The action as a command a person could type: what an approval shows and binds."""
        values = action.model_dump(exclude_none=True, exclude_defaults=True)
        words = [self.name]
        for param in self.params:
            if param.name not in values or param.name in self.fixed:
                continue
            value = values[param.name]
            if param.switch:
                words.append(param.flags[0])
            elif param.is_option:
                words += [max(param.flags, key=len), _quoted(str(value))]
            else:
                words.append(_quoted(str(value)))
        return " ".join(words)


class Registry:
    """Specs indexed by their words and aliases, for longest-prefix lookup."""

    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self._specs = tuple(specs)
        self._index: dict[tuple[str, ...], CommandSpec] = {}
        for spec in self._specs:
            for words in (spec.words, *spec.aliases):
                if words in self._index:
                    raise ValueError(f"`{' '.join(words)}` is declared twice")
                self._index[words] = spec
        self.longest = max((len(w) for w in self._index), default=0)
        self.longest_phrase = max((len(" ".join(w)) for w in self._index), default=0)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def lookup(self, tokens: list[str]) -> tuple[CommandSpec, int] | None:
        """The spec whose words are the longest prefix of `tokens`, and how many it used."""
        lowered = [t.lower() for t in tokens[: self.longest]]
        for n in range(len(lowered), 0, -1):
            spec = self._index.get(tuple(lowered[:n]))
            if spec is not None:
                return spec, n
        return None

    def find(self, name: str) -> CommandSpec | None:
        found = self.lookup(name.split())
        return found[0] if found and found[1] == len(name.split()) else None

    def names(self) -> tuple[str, ...]:
        """Every command's name, in declaration order (what policy roles name)."""
        return tuple(spec.name for spec in self._specs)

    def phrases(self) -> dict[str, str]:
        """Every way of starting a command → the command's name, for "did you mean"."""
        found = {" ".join(words): spec.name for words, spec in self._index.items()}
        found.update({phrase: phrase for spec in self._specs for phrase in spec.phrases})
        return found
