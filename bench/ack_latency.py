"""Benchmark: N concurrent signed slash commands against Pilothouse in HTTP mode.

Each command does a real `get pods` on the test control plane. Beside it, in the same run and on
the same HTTP server (waitress, same threads), a bare Bolt app that only acks takes the same load.
Prints missed acks (non-200 or slower than Slack's 3 s), p50/p99 time to ack, p50/p99 time to the
final reply, and the ratios to the bare app.

    .venv/bin/python bench/ack_latency.py [--sizes 50 200 500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster.controlplane import ControlPlane
from tests.demo_seed import seed_demo
from tests.redis_server import free_port, redis_server
from tests.slack import signing
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI

SECRET = "bench-signing-secret"
ACK_DEADLINE = 3.0

# A Bolt app that only acks, served exactly as Pilothouse serves HTTP mode.
BARE_APP = """
import signal, sys, threading
from slack_bolt import App
from slack_sdk import WebClient
from bot.slack.server import HttpServer, slack_http_app
app = App(client=WebClient(token="xoxb-bench", base_url=sys.argv[2]), signing_secret=sys.argv[3])
app.command("/pilot")(lambda ack: ack())
server = HttpServer(slack_http_app(app), host="127.0.0.1", port=int(sys.argv[1]), threads=16).start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
server.stop()
"""


@dataclass
class Result:
    acks: list[float]
    replies: list[float]
    missed: int


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def wait_healthy(port: int, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # the bare app answers 404 on /healthz: it is up
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port}")


def load(port: int, fake: FakeSlackWebAPI, n: int, *, expect_replies: bool) -> Result:
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, timeout=60)
    requests = []
    for _ in range(n):
        url = fake.response_url()
        requests.append((url.rsplit("/", 1)[1], signing.slash_command("/pilot", "get pods -n shop", response_url=url)))
    barrier = threading.Barrier(n)
    sent: dict[str, float] = {}
    acks: list[float] = []
    missed = 0
    lock = threading.Lock()

    def one(token: str, body: bytes, content_type: str) -> None:
        nonlocal missed
        barrier.wait()
        start = time.monotonic()
        sent[token] = start
        try:
            status = sender.send(body, content_type).status
        except OSError:
            status = 0
        elapsed = time.monotonic() - start
        with lock:
            acks.append(elapsed)
            if status != 200 or elapsed > ACK_DEADLINE:
                missed += 1

    threads = [threading.Thread(target=one, args=(t, *req)) for t, req in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    replies: list[float] = []
    if expect_replies:
        calls = fake.wait_for("response_url", count=n, timeout=300)
        replies = [c.at - sent[c.token] for c in calls if c.token in sent]
    fake.reset()
    return Result(acks, replies, missed)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    args.add_argument("--workers", type=int, default=None, help="PILOTHOUSE_WORKERS for the bot")
    options = args.parse_args()
    sizes = options.sizes
    root = Path(__file__).resolve().parent.parent
    with ControlPlane() as cp, redis_server() as redis_url, FakeSlackWebAPI() as fake:
        seed_demo(cp)
        bot_port, bare_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
        env.update(
            PILOTHOUSE_SLACK_BOT_TOKEN="xoxb-bench",
            PILOTHOUSE_SLACK_SIGNING_SECRET=SECRET,
            PILOTHOUSE_SLACK_API_URL=fake.api_url,
            PILOTHOUSE_HTTP_HOST="127.0.0.1",
            PILOTHOUSE_HTTP_PORT=str(bot_port),
            PILOTHOUSE_KUBECONFIG=str(cp.admin_kubeconfig),
            PILOTHOUSE_REDIS_URL=redis_url,
            PILOTHOUSE_LOG_LEVEL="ERROR",
            PYTHONPATH=str(root),
        )
        if options.workers:
            env["PILOTHOUSE_WORKERS"] = str(options.workers)
        bot = subprocess.Popen([str(Path(sys.executable).parent / "pilothouse")], env=env)
        bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port), fake.api_url, SECRET], env=env)
        try:
            wait_healthy(bot_port)
            wait_healthy(bare_port, "/")
            print(
                f"{'N':>4} {'app':<11} {'missed':>6} {'ack p50':>8} {'ack p99':>8} {'reply p50':>10} {'reply p99':>10}"
            )
            for n in sizes:
                base = load(bare_port, fake, n, expect_replies=False)
                ours = load(bot_port, fake, n, expect_replies=True)
                for name, r in (("bare Bolt", base), ("pilothouse", ours)):
                    reply50 = f"{percentile(r.replies, 50):9.3f}s" if r.replies else f"{'-':>10}"
                    reply99 = f"{percentile(r.replies, 99):9.3f}s" if r.replies else f"{'-':>10}"
                    ack50, ack99 = percentile(r.acks, 50), percentile(r.acks, 99)
                    print(f"{n:>4} {name:<11} {r.missed:>6} {ack50:7.3f}s {ack99:7.3f}s {reply50} {reply99}")
                p50 = percentile(ours.acks, 50) / percentile(base.acks, 50)
                p99 = percentile(ours.acks, 99) / percentile(base.acks, 99)
                print(f"{n:>4} ratio to the bare app: ack p50 {p50:.2f}x, ack p99 {p99:.2f}x (target <= 1.3x)")
        finally:
            for process in (bot, bare):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
