"""Time passing, for approval requests: every few seconds, `ApprovalDesk.sweep` settles what
time has decided (expired requests, executions whose process died).

Every replica runs one: each transition is atomic and only the caller that made it announces
it, so two sweepers at once change and show each thing once.
"""

from __future__ import annotations

import logging
import threading

from bot.approvals.desk import ApprovalDesk
from commands.errors import StoreUnavailable

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, desk: ApprovalDesk, *, every: float) -> None:
        self._desk = desk
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sweeper:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pilothouse-approvals-sweeper", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stops after the sweep in progress, if any (an execution it started runs to its end)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._desk.sweep()
            except StoreUnavailable as e:  # the next sweep tries again
                log.error("the approvals sweep could not read the store: %s", e.message)
            except Exception:
                log.exception("the approvals sweep failed")
