"""The Slack Events endpoint for HTTP mode: junk is refused before it costs anything.

In order, each step cheaper than the next and none trusting what it has not checked yet:
the body's size (waitress refuses an oversized Content-Length before reading, and stops a
chunked body at the limit), the signature (before any parsing: a junk timestamp is a 401, not a
traceback), the body's shape (a signed but malformed payload is a 400 with one warning log line
carrying the request id), and only then Bolt, which is handed the body already read.
"""

from __future__ import annotations

import hashlib
import hmac
import http
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest

from bot import logs
from bot.metrics import Metrics
from bot.slack import payloads

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_CLOCK_SKEW = 300  # Slack's rule: refuse requests signed more than 5 minutes away
FORM = "application/x-www-form-urlencoded"


class Malformed(ValueError):
    """A signed body that is not a Slack payload."""


def signed(secret: bytes, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{body}`, compared in constant time.
    Any timestamp that is not a plain number of seconds near now fails, without an exception."""
    if not (0 < len(timestamp) <= 12 and timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    expected = b"v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature.encode("latin-1", "replace"))


def parse_body(content_type: str, body: bytes) -> Any:
    """The body as Bolt will read it: JSON for events, form fields (with `payload` as JSON) otherwise."""
    media = content_type.partition(";")[0].strip().lower()
    try:
        if media == "application/json":
            return json.loads(body)
        if media != FORM:
            raise Malformed(f"content type `{media or 'none'}` is neither JSON nor a form")
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        if "payload" in fields:
            fields["payload"] = json.loads(fields["payload"])
        return fields
    except RecursionError:
        raise Malformed("the JSON is nested too deeply") from None
    except ValueError as e:  # bad JSON, bad UTF-8
        raise Malformed(f"the body cannot be read: {type(e).__name__}") from None


class SlackEndpoint:
    """A WSGI app for EVENTS_PATH; `max_body` in bytes."""

    def __init__(
        self, bolt: App, *, signing_secret: str, max_body: int, metrics: Metrics, clock: Callable[[], float] = time.time
    ) -> None:
        self._bolt = bolt
        self._secret = signing_secret.encode()
        self._max_body = max_body
        self._metrics = metrics
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != EVENTS_PATH:
            return _send(start_response, 404, "not found")
        request_id = uuid.uuid4().hex[:12]
        token = logs.request_id.set(request_id)
        try:
            return self._handle(environ, start_response, request_id)
        finally:
            logs.request_id.reset(token)

    def _handle(self, environ: dict[str, Any], start_response: Callable[..., Any], request_id: str) -> Iterable[bytes]:
        body = self._read(environ)
        if body is None:
            return self._refuse(start_response, 413, "too_large", f"larger than {self._max_body:,} bytes")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not signed(self._secret, body, timestamp, signature, self._clock()):
            return self._refuse(start_response, 401, "unsigned", "invalid signature")
        try:
            parsed = parse_body(environ.get("CONTENT_TYPE", ""), body)
            if (why := payloads.problem(parsed)) is not None:
                raise Malformed(why)
            text = body.decode("utf-8")
        except (Malformed, UnicodeDecodeError) as e:
            log.warning("malformed Slack request refused (400): %s", e)
            return self._refuse(start_response, 400, "malformed", f"malformed request (reference: {request_id})")
        request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""), headers=_headers(environ))
        response = self._bolt.dispatch(request)
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        return _send(start_response, response.status, response.body, headers)

    def _read(self, environ: dict[str, Any]) -> bytes | None:
        """The whole body, or None when it is over the limit (read no further than that)."""
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isascii() and length.isdigit():
            if int(length) > self._max_body:
                return None
            body: bytes = stream.read(int(length))
            return body
        body = stream.read(self._max_body + 1)
        return None if len(body) > self._max_body else body

    def _refuse(self, start_response: Callable[..., Any], status: int, reason: str, text: str) -> Iterable[bytes]:
        self._metrics.refused.labels(reason).inc()
        return _send(start_response, status, text)


def _headers(environ: dict[str, Any]) -> dict[str, str | Sequence[str]]:
    headers: dict[str, str | Sequence[str]] = {
        name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
    }
    if "CONTENT_TYPE" in environ:
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _send(
    start_response: Callable[..., Any], status: int, body: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = body.encode()
    own = [(n, v) for n, v in headers or [] if n.lower() != "content-length"] or [("Content-Type", "text/plain")]
    start_response(f"{status} {http.HTTPStatus(status).phrase}", [*own, ("Content-Length", str(len(data)))])
    return [data]
