"""Policies for tests: from YAML (validated as a file is), or built directly for names that are
not Slack IDs (the shell's `alice`)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from bot.policy import Policy, builtin, parse
from bot.policy.load import compile_policy
from bot.policy.schema import PolicyFile
from commands import default_registry

REGISTRY = default_registry()


def from_yaml(text: str, *, channels: frozenset[str] = frozenset()) -> Policy:
    """A policy file's text, checked exactly as `PILOTHOUSE_POLICY_FILE` would be."""
    return parse(textwrap.dedent(text), "policy.yaml", REGISTRY, channels=channels)


def shaped(data: dict[str, Any]) -> Policy:
    """A policy from its shape, without the file's ID checks (shell names like `alice`)."""
    return compile_policy(PolicyFile.model_validate(data), REGISTRY, source="test")


def demo_admin(user: str = "alice", clusters: Sequence[str] = ("demo",)) -> Policy:
    return builtin(REGISTRY, admin=user, clusters=clusters)


def writers(
    *users: str, namespaces: Sequence[str] = ("*",), name: str = "writers", cluster_wide: bool = True
) -> Policy:
    """`users` may read and change every cluster (in `namespaces`; cluster-wide too, unless not)."""
    role = {"commands": ["read", "write"], "namespaces": list(namespaces), "cluster_wide": cluster_wide}
    return shaped(
        {
            "roles": {"writer": role},
            "bindings": [{"name": name, "subjects": list(users), "roles": ["writer"], "direct_messages": "all"}],
        }
    )


def nobody() -> Policy:
    """The built-in default: reads for everyone, nothing else."""
    return builtin(REGISTRY)
