"""Who is asking: a `Subject`, identified by an immutable ID, never by a name people choose.

Slack IDs are matched exactly and case-sensitively (`U0ALICE` is not `u0alice`). A display
name is carried for showing only: policy, change-causes, digests and the audit trail name the
ID first, the name beside it as a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,20}$")
GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

EVERYONE = "everyone"  # every person of our workspace(s)
EXTERNAL = "external"  # people from other workspaces (Slack Connect); nothing unless granted
BUILTIN_GROUPS = (EVERYONE, EXTERNAL)

LABEL_LENGTH = 40

Kind = Literal["person", "channel"]


def is_direct_message(channel: str) -> bool:
    return channel.startswith("D")


def label(name: str | None) -> str | None:
    """A display name fit to stand beside an ID: one line, short, never mistaken for text around it."""
    if not name:
        return None
    text = " ".join(name.split())[:LABEL_LENGTH]
    return text.replace("`", "'") or None


def named(identifier: str, name: str | None) -> str:
    """`U0ALICE ("alice")`: the ID, and the display name only as a label."""
    shown = label(name)
    return f'{identifier} ("{shown}")' if shown and shown != identifier else identifier


@dataclass(frozen=True, slots=True)
class Subject:
    """`id`: a Slack user ID, the shell's `--user`, or a channel for what a channel receives
    (a scheduled digest). `groups`: the groups resolved for it (file groups, Slack user groups)."""

    id: str
    name: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    external: bool = False
    team: str | None = None
    kind: Kind = "person"

    @property
    def label(self) -> str:
        return named(self.id, self.name)

    @classmethod
    def channel(cls, channel: str, name: str | None = None) -> Subject:
        return cls(channel, name, kind="channel")
