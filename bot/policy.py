"""Who may run what, where. Checked before every action; the first matching rule decides.

With no rule matching, reads are allowed by the built-in `reads-for-everyone` rule and
everything else is denied (`default-deny`). A later [policy] issue adds approvals and groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands.errors import ConfigError
from commands.registry import Access


class Rule(BaseModel):
    """One rule. Lists hold exact IDs/names or shell-style patterns; `*` matches anything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    effect: Literal["allow", "deny"]
    users: tuple[str, ...] = ("*",)
    channels: tuple[str, ...] = ("*",)
    clusters: tuple[str, ...] = ("*",)
    # A rule that names namespaces does not cover cluster-wide requests (`-A`, nodes).
    namespaces: tuple[str, ...] = ("*",)
    commands: tuple[str, ...] = ("*",)
    access: tuple[Access, ...] = ("read", "write")


@dataclass(frozen=True, slots=True)
class Request:
    user: str
    channel: str
    cluster: str
    namespace: str | None  # None: cluster-wide
    command: str
    access: Access


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rule: str


READS_FOR_EVERYONE = Rule(name="reads-for-everyone", effect="allow", access=("read",))
DEFAULT_DENY = "default-deny"


def _any(patterns: Sequence[str], value: str) -> bool:
    return any(fnmatchcase(value, p) for p in patterns)


def _applies(rule: Rule, request: Request) -> bool:
    # A cluster-wide request is covered only by a rule for every namespace.
    namespace_ok = "*" in rule.namespaces if request.namespace is None else _any(rule.namespaces, request.namespace)
    return (
        namespace_ok
        and request.access in rule.access
        and _any(rule.users, request.user)
        and _any(rule.channels, request.channel)
        and _any(rule.clusters, request.cluster)
        and _any(rule.commands, request.command)
    )


class Policy:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = (*rules, READS_FOR_EVERYONE)

    def decide(self, request: Request) -> Decision:
        for rule in self.rules:
            if _applies(rule, request):
                return Decision(rule.effect == "allow", rule.name)
        return Decision(False, DEFAULT_DENY)

    @classmethod
    def demo(cls, user: str, cluster: str) -> Policy:
        """Zero-setup: the person at the shell is an admin of the simulated cluster."""
        return cls([Rule(name="demo-admin", effect="allow", users=(user,), clusters=(cluster,))])

    @classmethod
    def from_file(cls, path: Path) -> Policy:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"Policy file {path} cannot be read: {e}") from e
        if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
            raise ConfigError(f"Policy file {path} must be a mapping with a `rules:` list.")
        try:
            return cls([Rule.model_validate(r) for r in data.get("rules", [])])
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors(include_url=False)
            )
            raise ConfigError(f"Policy file {path} has an invalid rule: {problems}.") from e
