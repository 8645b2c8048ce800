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

READY_CACHE_SECONDS = 5.0  # probes come every few seconds; the store need not be asked each time
CLUSTER_PROBE_SECONDS = 30.0

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Readiness:
    """Can this process serve? The store answers, and in Socket Mode the connection to Slack is up.

    Clusters are not asked: one remote cluster going down must not take every replica out of its
    Service. Their reachability is in /metrics (`ClusterProbe`) and in the `clusters` command.
    """

    def __init__(self, store: Store, slack_connected: Callable[[], bool] | None = None) -> None:
        self._store = store
        self._slack_connected = slack_connected
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
        if self._slack_connected is not None:
            connected = self._slack_connected()
            checks["slack"] = "ok" if connected else "disconnected"
            if not connected:
                problems["slack"] = "the Socket Mode connection to Slack is down"
        if problems != self._problems:
            for name, why in problems.items():
                log.warning("readiness: %s: %s", name, why)
            self._problems = problems
        return all(v == "ok" for v in checks.values()), checks


class ClusterProbe:
    """Asks every cluster now and then whether it answers, for the metrics (never for readiness)."""

    def __init__(self, clusters: Clusters, metrics: Metrics, *, every: float = CLUSTER_PROBE_SECONDS) -> None:
        self._clusters = clusters
        self._metrics = metrics
        self._every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pilothouse-cluster-probe", daemon=True)

    def start(self) -> ClusterProbe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)  # a probe in flight ends on its own (request timeout)

    def probe(self) -> None:
        members = list(self._clusters)
        with ThreadPoolExecutor(max_workers=min(8, len(members))) as pool:
            for info in pool.map(lambda c: c.info(), members):
                self._metrics.cluster_reachable.labels(info.name).set(1 if info.reachable else 0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.probe()
            self._stopping.wait(self._every)


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
