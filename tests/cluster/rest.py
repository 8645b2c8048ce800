"""Raw JSON calls through a `kubernetes.client.ApiClient`.

The test cluster's helpers work on plain dicts: no typed models to load or deserialize, any
kind works, and status patches stay exactly what we wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

JSON = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
Query = dict[str, str | int | bool]


def _send(
    api: ApiClient,
    method: str,
    path: str,
    body: Any,
    query: Query | None,
    content_type: str | None,
    timeout: float | tuple[float, float],
) -> Any:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    req = api.param_serialize(
        method,
        path,
        query_params=[(k, _query_value(v)) for k, v in (query or {}).items()],
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    return api.call_api(*req, _request_timeout=timeout)


def _query_value(value: str | int | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def request(
    api: ApiClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    query: Query | None = None,
    content_type: str | None = None,
    timeout: float = 30,
) -> Any:
    """Sends one request; returns the decoded JSON body (or text), raises ApiException."""
    resp = _send(api, method, path, body, query, content_type, timeout)
    data = resp.read()
    text = data.decode("utf-8", errors="replace") if data else ""
    if not 200 <= resp.status <= 299:
        raise ApiException.from_response(http_resp=resp, body=text, data=None)
    if resp.headers.get("content-type", "").startswith("application/json"):
        return json.loads(text) if text else None
    return text


class Watch:
    """One watch request on `path`; iterate for events, shutdown() from any thread to stop."""

    def __init__(self, api: ApiClient, path: str, query: Query, timeout: float) -> None:
        self._args = (api, "GET", path, None, {**query, "watch": True}, None, (5, timeout))
        self._raw: Any = None

    def __iter__(self) -> Iterator[JSON]:
        resp = _send(*self._args)
        if resp.status != 200:
            raise ApiException.from_response(http_resp=resp, body=resp.read().decode(), data=None)
        self._raw = resp.response
        try:
            buf = b""
            for chunk in self._raw.stream(amt=None, decode_content=False):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                yield from (json.loads(line) for line in lines if line.strip())
        finally:
            self._raw.release_conn()

    def shutdown(self) -> None:
        """Unblocks a pending read so the iterating thread ends promptly."""
        try:
            if self._raw is not None:
                self._raw.shutdown()
        except (ValueError, RuntimeError, OSError):
            pass  # already closed or released
