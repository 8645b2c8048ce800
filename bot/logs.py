"""Logging: JSON lines for the bot (one object per line, with the request id), text for the shell.

The request id of the message being handled is kept in a context variable, so every log line
written while handling it carries the same `request_id` as the reply's "reference: …".
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

from integrations.redact import redact_text

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class RedactingFormatter(logging.Formatter):
    """Every line leaves with its connection URLs redacted, whoever wrote it (a library's error
    message may quote the URL it was given, password and all)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; its texts redacted as RedactingFormatter's are."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        if (current := request_id.get()) is not None:
            entry["request_id"] = current
        if record.exc_info:
            entry["error"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, *, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
