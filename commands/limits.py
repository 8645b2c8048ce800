"""How much Pilothouse takes in and gives out, in one place.

Every check of a person's input looks at its length first, against these limits, and only then
at its shape, with scanners that look at each character once: no input costs more than time
linear in its length. The limits an operator may want to change are settings (bot/settings.py);
these are the ones fixed by Kubernetes, Slack or good sense.
"""

from __future__ import annotations

MESSAGE_CHARS = 40_000  # Slack cuts a message's text there; nothing longer is a command
NAME_CHARS = 253  # a Kubernetes object name (DNS subdomain); also cluster and context names
LABEL_CHARS = 63  # a DNS label (namespaces, containers) and a label value or name
IMAGE_CHARS = 4_096  # an image reference, digest included
IMAGE_NAME_CHARS = 255  # the repository part of an image reference (the registry's own limit)
SELECTOR_CHARS = 4_096  # a label selector
CRON_CHARS = 200  # a cron expression as typed
REASON_CHARS = 200  # a change's --reason, which goes into the change-cause annotation
TIME_ZONE_CHARS = 64
SHOWN_CHARS = 80  # how much of a bad value an error message quotes back

LOG_LINE_CHARS = 2_000  # a longer log line is cut, saying how much
LOG_BYTES = 512 * 1024  # the most of a container's log one `logs` reads (the API server's limitBytes)
LONGEST_SECONDS = 7 * 86400.0  # the longest a lock, an approval request or a freeze window lasts
REPLY_CHARS = 200_000  # the most text one reply carries before rendering; the rest is cut, saying so


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` as an error may quote it: whole when short, else its start and how much is left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def too_long(what: str, length: int, limit: int) -> str:
    """The one wording for an input over its limit."""
    return f"{what} is {length:,} characters long; the limit is {limit:,}"
