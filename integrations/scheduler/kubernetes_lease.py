# mypy: disable-error-code="no-untyped-call"
"""Leader election with a Kubernetes Lease (`kubernetes.leaderelection`), for replicas in a cluster.

The library's `run()` blocks and has no stop: it runs in a daemon thread, again after each lost
term, and a stop makes our lock fail every read and write so the renew loop gives up (the lease
then expires for the next leader). `LeaseLock` builds its API from the default configuration:
we hand it the cluster's own client instead. RBAC: get, create and update on
`coordination.k8s.io` leases in the lease's namespace.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from types import SimpleNamespace
from typing import Any

from kubernetes.client import ApiClient, CoordinationV1Api
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock

from integrations.scheduler.leader import Callback

log = logging.getLogger(__name__)
_STOPPING = SimpleNamespace(body="{}", reason="stopping")


class _StoppableLease(LeaseLock):
    def __init__(self, name: str, namespace: str, identity: str, api: ApiClient, stopping: threading.Event) -> None:
        super().__init__(name, namespace, identity)
        self.api_instance = CoordinationV1Api(api)
        self._stopping = stopping

    def get(self, name: str, namespace: str) -> tuple[bool, Any]:
        if self._stopping.is_set():
            return False, _STOPPING  # read like a failed GET: retried, never created
        found: tuple[bool, Any] = super().get(name, namespace)
        return found

    def create(self, name: str, namespace: str, election_record: Any) -> bool:
        return not self._stopping.is_set() and bool(super().create(name, namespace, election_record))

    def update(self, name: str, namespace: str, updated_record: Any) -> bool:
        return not self._stopping.is_set() and bool(super().update(name, namespace, updated_record))


class LeaseLeader:
    def __init__(self, api: ApiClient, *, name: str, namespace: str, ttl: float = 15.0) -> None:
        self.identity = f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}"
        self._api = api
        self._name = name
        self._namespace = namespace
        self._ttl = max(3, int(ttl))
        self._stopping = threading.Event()
        self._leading = False
        self._on_stopped: Callback | None = None

    @property
    def leading(self) -> bool:
        return self._leading

    def start(self, on_started: Callback, on_stopped: Callback) -> None:
        self._on_stopped = on_stopped
        threading.Thread(target=self._run, args=(on_started,), name="pilothouse-lease", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self._stopped()  # at once: the lease itself expires for the next leader

    def _run(self, on_started: Callback) -> None:
        lock = _StoppableLease(self._name, self._namespace, self.identity, self._api, self._stopping)

        def started() -> None:
            self._leading = True
            log.info("leader %s: gained the lease %s/%s", self.identity, self._namespace, self._name)
            on_started()

        # lease > renew deadline > 1.2 × retry period ≥ 1 s, as the library requires
        renew = max(2, self._ttl * 2 // 3)
        retry = max(1, min(renew // 3, self._ttl // 6))
        config = electionconfig.Config(lock, self._ttl, renew, retry, started, self._stopped)
        while not self._stopping.is_set():
            try:
                leaderelection.LeaderElection(config).run()
            except Exception:
                log.exception("leader %s: lease election failed; trying again", self.identity)
                self._stopped()
            self._stopping.wait(retry)

    def _stopped(self) -> None:
        if self._leading:
            self._leading = False
            log.log(
                logging.INFO if self._stopping.is_set() else logging.WARNING,
                "leader %s: no longer leads",
                self.identity,
            )
            if self._on_stopped is not None:
                self._on_stopped()
