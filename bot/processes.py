"""Worker processes that can be stopped one at a time.

`concurrent.futures.ProcessPoolExecutor` cannot end one task: killing a worker breaks the
whole pool. Here each worker is a process of its own with a pipe, served by one thread in this
process that hands it a task, waits for the answer at most the task's `timeout`, and otherwise
kills the process (SIGKILL: a task stuck in C code never sees a gentler signal), fails the task
with `Overrun` and starts a fresh process in its place. A task may also ask, through its
result, for its process to be replaced afterwards (`request_recycle`): a request abandoned by
its time budget may still be running on a thread there.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

from bot.budget import Overrun

log = logging.getLogger(__name__)

_recycle = False  # in a worker process: replace me once this task's answer is sent


def request_recycle() -> None:
    """Called in a worker process: it is replaced (gracefully) after the current task."""
    global _recycle
    _recycle = True


class WorkerLost(Exception):
    """The process running the task died before it answered."""


class WorkersFailed(Exception):
    """The worker processes could not start."""


def _serve(conn: Connection, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """A worker process's life: initialise, say so, then run tasks until told to stop."""
    try:
        initializer(*initargs)
    except BaseException as e:
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, args = task
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except BaseException as e:
            answer = ("error", e)
        try:
            conn.send((*answer, _recycle))
        except Exception as e:  # the result or the error does not pickle
            conn.send(("error", RuntimeError(f"the task's answer could not be sent: {e}"), True))


@dataclass(slots=True)
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float
    future: Future[Any] = field(default_factory=Future)


class _Worker:
    """One process, and the pipe to it."""

    def __init__(self, pool: ProcessPool) -> None:
        parent, child = pool._context.Pipe()
        self.conn = parent
        self.process: SpawnProcess = pool._context.Process(
            target=_serve, args=(child, pool._initializer, pool._initargs), daemon=True, name="pilothouse-worker"
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise WorkersFailed(f"a worker process did not start within {timeout:g} s")
        try:
            state, detail = self.conn.recv()
        except (EOFError, OSError):
            state, detail = "failed", f"it exited with {self.process.exitcode}"
        if state != "ready":
            self.kill()
            raise WorkersFailed(f"a worker process could not start: {detail}")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask it to end after its work (its exit handlers run: rollouts it follows get their last edit)."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


class ProcessPool(Executor):
    def __init__(
        self,
        processes: int,
        *,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...] = (),
        timeout: float,
        start_timeout: float = 120.0,
    ) -> None:
        """`timeout`: how long a task may run before its process is killed (`submit_within` sets
        another for one task). Returns when every process has started; WorkersFailed if one cannot."""
        self._context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._initializer, self._initargs = initializer, initargs
        self._timeout = timeout
        self._start_timeout = start_timeout
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._closed = False
        self.replaced = 0  # processes replaced after an overrun, a crash or a recycle request
        workers = [_Worker(self) for _ in range(processes)]
        try:
            for worker in workers:
                worker.wait_ready(start_timeout)
        except WorkersFailed:
            for worker in workers:
                worker.kill()
            raise
        self._threads = [
            threading.Thread(target=self._serve, args=(worker,), name="pilothouse-worker-pipe", daemon=True)
            for worker in workers
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if kwargs:
            raise TypeError("ProcessPool tasks take positional arguments only")
        return self.submit_within(self._timeout, fn, *args)

    def submit_within(self, timeout: float, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run `fn(*args)` in a worker process; past `timeout` seconds the process is killed and
        the future fails with Overrun."""
        if self._closed:
            raise RuntimeError("cannot schedule new tasks after shutdown")
        task = _Task(fn, args, timeout)
        self._tasks.put(task)
        return task.future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking tasks. With `wait`, the ones queued and running are finished first (each at
        most its timeout); without, queued ones are cancelled if `cancel_futures`."""
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    task = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if task is not None:
                    task.future.cancel()
        for _ in self._threads:
            self._tasks.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    # --- one thread per worker process --------------------------------------------------------

    def _serve(self, worker: _Worker) -> None:
        current: _Worker | None = worker
        while current is not None:
            task = self._tasks.get()
            if task is None:
                current.stop()
                return
            if task.future.set_running_or_notify_cancel() and not self._run(current, task):
                current = self._replace(current)

    def _run(self, worker: _Worker, task: _Task) -> bool:
        """Run one task; False when its process must be replaced."""
        try:
            worker.conn.send((task.fn, task.args))
            if not worker.conn.poll(task.timeout):
                log.error("a task ran past its %g s in worker process %s: killing it", task.timeout, worker.process.pid)
                worker.kill()
                task.future.set_exception(Overrun(task.timeout))
                return False
            state, value, recycle = worker.conn.recv()
        except (EOFError, OSError) as e:
            task.future.set_exception(WorkerLost(f"worker process {worker.process.pid} died: {e or 'pipe closed'}"))
            worker.kill()
            return False
        if state == "ok":
            task.future.set_result(value)
        else:
            task.future.set_exception(value)
        if recycle:
            worker.stop()
        return not recycle

    def _replace(self, worker: _Worker) -> _Worker | None:
        """A fresh process in the old one's place, retried with backoff while it cannot start."""
        self.replaced += 1
        delay = 1.0
        while not self._closed:
            try:
                fresh = _Worker(self)
                fresh.wait_ready(self._start_timeout)
                log.warning("worker process %s replaced by %s", worker.process.pid, fresh.process.pid)
                return fresh
            except WorkersFailed as e:
                log.error("%s; trying again in %g s", e, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        return None
