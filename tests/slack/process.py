"""`pilothouse` as a separate process, as an operator runs it, talking to the fake Slack."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.redis_server import free_port
from tests.slack.web_api import FakeSlackWebAPI


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pilothouse exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("pilothouse did not become healthy within 30 s")


@contextmanager
def pilothouse(
    fake: FakeSlackWebAPI, *args: str, settings: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The process and its HTTP port; `settings` are PILOTHOUSE_* values (only these: the
    environment's own PILOTHOUSE_* are dropped, as a clean machine has none)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    # The fake Slack stands in for slack.com; a free port in case 3000 is taken.
    env.update(PILOTHOUSE_SLACK_API_URL=fake.api_url, PILOTHOUSE_HTTP_PORT=str(port), PILOTHOUSE_HTTP_HOST="127.0.0.1")
    env.update(settings or {})
    process = subprocess.Popen([str(Path(sys.executable).parent / "pilothouse"), *args], env=env)
    try:
        wait_healthy(port, process)
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=20)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/PID/status")
