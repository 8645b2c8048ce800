"""Logging: JSON lines for the bot (one object per line, with the request id), text for the shell.

The request id of the message being handled is kept in a context variable, so every log line
written while handling it carries the same `request_id` as the reply's "reference: …".
Every line is masked before it is written (commands.redact: token-like strings and the
settings' own secrets), whatever the level. The audit trail (`pilothouse.audit`) is one JSON
line per record in the bot, with the record under `audit`.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

from commands.redact import mask, mask_value
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
        if (audit := getattr(record, "audit", None)) is not None:
            entry["audit"] = audit
        if record.exc_info:
            entry["error"] = redact_text(mask(self.formatException(record.exc_info)))
        return json.dumps(entry, ensure_ascii=False)


class Masking(logging.Filter):
    """Masks what a log record says before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask(record.getMessage()), None
        if (audit := getattr(record, "audit", None)) is not None:
            record.audit = mask_value(audit)
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def configure(level: str, *, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(Masking())
    if json_lines:
        handler.setFormatter(JsonFormatter())
        logging.getLogger("pilothouse.audit").setLevel(logging.INFO)  # the trail, whatever the level
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
