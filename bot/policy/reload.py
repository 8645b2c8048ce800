"""The policy in force, reloaded without a restart.

The file is checked every few seconds (its size, time and content) and on SIGHUP. A new file
with problems is rejected with every problem logged, and the last good policy stays in force;
`generation` counts the policies taken into force, and `/metrics` shows it with the last
reload's result.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.policy.engine import Decision, Policy, Request
from bot.policy.load import PolicyProblems
from bot.policy.subject import Subject

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reload:
    ok: bool
    at: datetime
    generation: int
    reason: str
    problems: tuple[str, ...] = field(default_factory=tuple)


class PolicyHolder:
    """`load` reads the file (raising PolicyProblems); without a `path`, the policy is fixed."""

    def __init__(
        self,
        load: Callable[[], Policy],
        *,
        path: Path | None = None,
        every: float = 2.0,
        observers: tuple[Callable[[Reload], None], ...] = (),
    ) -> None:
        self._load = load
        self._path = path
        self._every = every
        self.observers = list(observers)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = self._fingerprint()
        self.current = load()  # at start-up a broken file is an error: nothing good to keep
        self.generation = 1
        self.last = Reload(True, datetime.now(UTC), 1, "start")

    def authorise(self, subject: Subject, request: Request) -> Decision:
        return self.current.authorise(subject, request)

    def reload(self, reason: str = "asked") -> Reload:
        with self._lock:
            self._seen = self._fingerprint()
            try:
                policy = self._load()
            except PolicyProblems as e:
                problems = tuple(p.text(e.source) for p in e.problems)
                self.last = Reload(False, datetime.now(UTC), self.generation, reason, problems)
                log.error(
                    "policy reload (%s) rejected; generation %d stays in force:\n%s",
                    reason,
                    self.generation,
                    "\n".join(problems),
                )
            else:
                self.current = policy
                self.generation += 1
                self.last = Reload(True, datetime.now(UTC), self.generation, reason)
                log.warning("policy reloaded (%s): generation %d from %s", reason, self.generation, policy.source)
            result = self.last
        for observe in self.observers:
            observe(result)
        return result

    # --- watching the file ------------------------------------------------------------------

    def _fingerprint(self) -> tuple[int, int, str] | None:
        if self._path is None:
            return None
        try:
            stat = self._path.stat()
            digest = hashlib.sha256(self._path.read_bytes()).hexdigest()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns, digest

    def changed(self) -> bool:
        return self._path is not None and self._fingerprint() != self._seen

    def start(self) -> PolicyHolder:
        if self._path is None or self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._watch, name="pilothouse-policy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if self.changed():
                    self.reload("file changed")
            except Exception:  # the watcher must outlive any surprise; the policy in force stays
                log.exception("policy watch failed")
