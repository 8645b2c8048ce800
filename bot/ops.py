"""Operations endpoints on the HTTP port, in every mode: /healthz, /readyz, /metrics."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.metrics import Metrics
from bot.worker import Worker
from commands.errors import PilothouseError
from integrations.cluster.clusters import Clusters
from integrations.store.port import Store

log = logging.getLogger(__name__)

READY_CACHE_SECONDS = 5.0  # probes come every few seconds; clusters need not be asked each time

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Readiness:
    def __init__(self, store: Store, clusters: Clusters) -> None:
        self._store = store
        self._clusters = clusters
        self._lock = threading.Lock()
        self._cached: tuple[float, bool, dict[str, str]] | None = None
        self._problems: dict[str, str] = {}

    def check(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < READY_CACHE_SECONDS:
                return self._cached[1], self._cached[2]
            ready, checks = self._check()
            self._cached = (time.monotonic(), ready, checks)
            return ready, checks

    def _check(self) -> tuple[bool, dict[str, str]]:
        """The endpoint needs no authentication, so it says only which check failed; the log
        says why (redacted), once per change of state."""
        checks: dict[str, str] = {}
        problems: dict[str, str] = {}
        try:
            self._store.ping()
            checks["store"] = "ok"
        except PilothouseError as e:
            checks["store"], problems["store"] = "unavailable", e.message
        members = list(self._clusters)
        with ThreadPoolExecutor(max_workers=min(8, len(members))) as pool:
            for info in pool.map(lambda c: c.info(), members):
                name = f"cluster:{info.name}"
                checks[name] = "ok" if info.reachable else "unreachable"
                if not info.reachable:
                    problems[name] = info.error or "unreachable"
        if problems != self._problems:
            for name, why in problems.items():
                log.warning("readiness: %s: %s", name, why)
            self._problems = problems
        return all(v == "ok" for v in checks.values()), checks


def ops_app(readiness: Readiness, metrics: Metrics, worker: Worker | None, fallback: WsgiApp | None = None) -> WsgiApp:
    """A WSGI app for the ops paths; every other path goes to `fallback` (the Slack endpoint)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _send(start_response, "200 OK", b"ok\n", "text/plain")
        if path == "/readyz":
            ready, checks = readiness.check()
            body = json.dumps({"ready": ready, "checks": checks}).encode()
            return _send(start_response, "200 OK" if ready else "503 Service Unavailable", body, "application/json")
        if path == "/metrics":
            if worker is not None:
                metrics.in_flight.set(worker.in_flight)
            return _send(start_response, "200 OK", metrics.exposition(), "text/plain; version=0.0.4")
        if fallback is not None:
            return fallback(environ, start_response)
        return _send(start_response, "404 Not Found", b"not found\n", "text/plain")

    return app


def _send(start_response: Callable[..., Any], status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
