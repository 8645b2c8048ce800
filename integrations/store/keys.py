"""Store keys: every key Pilothouse stores is built here, so no two kinds of state can collide.

A key is a namespace and its parts joined with `:` (`defaults:U0ALICE01`). A part is escaped
so that it can never be mistaken for two: `%` becomes `%25` and `:` becomes `%3A`, and an empty
part is written as a lone `%` (no escaped part can be just that). Parts without `%` or `:` are
written as they are, so keys stay readable in redis-cli and the same as older releases wrote.
`split` undoes `key`: two different part tuples therefore never give the same key.

The namespaces, and the keys in each (`RedisStore` adds its prefix, `pilothouse:`, to all):
- `approval:<id>`, `approval:message:<channel>:<ts>`, `approval:confirm:<channel>:<user>` and
  `approvals:open`: approval requests and what finds them (bot/approvals/book.py).
- `audit`: the audit trail's stream (bot/audit.py).
- `conversation:<channel>:<thread>` or `conversation:<channel>:@<user>` (bot/conversation.py).
- `defaults:<user>`: a person's `use` defaults (bot/defaults.py).
- `digest:schedules` and `digest:schedules:version`; `digest:snapshot:<place>:<cluster>:<namespace>`;
  `digest:fired:<schedule>:<fire time>`, the claim on one fire time (bot/digest/).
- `leader:scheduler`: who runs the scheduled jobs (integrations/scheduler/leader.py).
- `lock:<cluster>:<namespace>:<kind>/<name>`, a deploy lock; `locks:<cluster>`, the cluster's
  index of them (bot/locks/store.py).
- `slack:seen:<kind>:<id>` and `slack:working:<kind>:<id>` (bot/slack/jobs.py);
  `slack:user:<id>` and `slack:name:channel:<id>`, the name caches (bot/slack/directory.py).
"""

from __future__ import annotations

import re
from typing import Literal

PREFIX = "pilothouse:"  # before every key in Redis, which other applications may share

Namespace = Literal[
    "approval", "approvals", "audit", "conversation", "defaults", "digest", "leader", "lock", "locks", "slack"
]

SEPARATOR = ":"
_EMPTY = "%"
_ESCAPED = re.compile("%(25|3A)")


def key(namespace: Namespace, *parts: str) -> str:
    """The key for these parts in `namespace`: `key("digest", "snapshot", "C1", "prod", "*")`."""
    return SEPARATOR.join((namespace, *(_escape(part) for part in parts)))


def split(stored: str) -> tuple[str, ...]:
    """The namespace and parts a key was made of (the inverse of `key`)."""
    return tuple(_unescape(part) for part in stored.split(SEPARATOR))


def unescaped(namespace: Namespace, *parts: str) -> str:
    """A key as releases before this module wrote it, its parts joined as they are: only to
    honour what such a release may still hold (a part with `:` or `%` gave another key then)."""
    return SEPARATOR.join((namespace, *parts))


def _escape(part: str) -> str:
    if not part:
        return _EMPTY
    return part.replace("%", "%25").replace(SEPARATOR, "%3A")  # `%` first, or its own escapes would change


def _unescape(part: str) -> str:
    if part == _EMPTY:
        return ""
    return _ESCAPED.sub(lambda m: "%" if m.group(1) == "25" else SEPARATOR, part)
