"""Benchmark: N concurrent signed slash commands against Pilothouse in HTTP mode.

Each command does a real `get pods` on the test control plane. Beside it, in the same run and on
the same HTTP server (waitress, same threads), a bare Bolt app that only acks takes the same load.
Prints missed acks (non-200 or slower than Slack's 3 s), p50/p99 time to ack, p50/p99 time to the
final reply, and the ratios to the bare app; each figure is the median over several rounds, the
two apps taking turns, because this kind of machine is noisy.

    .venv/bin/python bench/ack_latency.py [--sizes 50 200 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster.controlplane import ControlPlane
from tests.demo_seed import seed_demo
from tests.redis_server import free_port, redis_server
from tests.slack import signing
from tests.slack.web_api import FakeSlackWebAPI

SECRET = "bench-signing-secret"
ACK_DEADLINE = 3.0

# A Bolt app that only acks, served exactly as Pilothouse serves HTTP mode.
BARE_APP = """
import logging, signal, sys, threading
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as quiet as pilothouse's ERROR level
from slack_bolt import App
from slack_sdk import WebClient
from bot.metrics import Metrics
from bot.slack.endpoint import SlackEndpoint
from bot.slack.server import HttpServer
app = App(client=WebClient(token="xoxb-bench", base_url=sys.argv[2]), signing_secret=sys.argv[3])
app.command("/pilot")(lambda ack: ack())
endpoint = SlackEndpoint(app, signing_secret=sys.argv[3], max_body=1 << 20, metrics=Metrics())
server = HttpServer(endpoint, host="127.0.0.1", port=int(sys.argv[1]), threads=16, max_body=1 << 20).start()
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


# The load comes from its own process: threads here would share a GIL with the fake Slack
# receiving the replies, and their waits would count as ack time. CLOCK_MONOTONIC is shared by
# all processes, so its send times compare with the fake's arrival times.
LOADER = """
import json, sys, threading, time
from tests.slack.signing import SlackSender
job = json.load(sys.stdin)
sender = SlackSender(job["url"], job["secret"], timeout=60)
barrier = threading.Barrier(len(job["requests"]))
results = []
def one(request):
    barrier.wait()
    start = time.monotonic()
    try:
        status = sender.send(request["body"].encode(), request["content_type"]).status
    except OSError:
        status = 0
    results.append({"token": request["token"], "start": start, "elapsed": time.monotonic() - start, "status": status})
threads = [threading.Thread(target=one, args=(r,)) for r in job["requests"]]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(results, sys.stdout)
"""


def load(port: int, fake: FakeSlackWebAPI, n: int, *, expect_replies: bool, env: dict[str, str]) -> Result:
    requests = []
    for _ in range(n):
        url = fake.response_url()
        body, content_type = signing.slash_command("/pilot", "get pods -n shop", response_url=url)
        requests.append({"token": url.rsplit("/", 1)[1], "body": body.decode(), "content_type": content_type})
    job = {"url": f"http://127.0.0.1:{port}/slack/events", "secret": SECRET, "requests": requests}
    done = subprocess.run(
        [sys.executable, "-c", LOADER], input=json.dumps(job), capture_output=True, text=True, env=env, check=True
    )
    results = json.loads(done.stdout)
    acks = [r["elapsed"] for r in results]
    missed = sum(1 for r in results if r["status"] != 200 or r["elapsed"] > ACK_DEADLINE)
    replies: list[float] = []
    if expect_replies:
        sent = {r["token"]: r["start"] for r in results}
        calls = fake.wait_for("response_url", count=n, timeout=300)
        replies = [c.at - sent[c.token] for c in calls if c.token in sent]
    fake.reset()
    return Result(acks, replies, missed)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    args.add_argument("--rounds", type=int, default=3, help="rounds per size; the medians are printed")
    args.add_argument("--processes", type=int, default=None, help="PILOTHOUSE_WORK_PROCESSES for the bot")
    args.add_argument("--settle", type=float, default=None, help="PILOTHOUSE_WORK_SETTLE for the bot")
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
        if options.processes is not None:
            env["PILOTHOUSE_WORK_PROCESSES"] = str(options.processes)
        if options.settle is not None:
            env["PILOTHOUSE_WORK_SETTLE"] = str(options.settle)
        bot = subprocess.Popen([str(Path(sys.executable).parent / "pilothouse")], env=env)
        bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port), fake.api_url, SECRET], env=env)
        try:
            wait_healthy(bot_port)
            wait_healthy(bare_port, "/")
            print(f"median over {options.rounds} rounds, bare app and Pilothouse taking turns")
            print(
                f"{'N':>4} {'app':<11} {'missed':>6} {'ack p50':>8} {'ack p99':>8} {'reply p50':>10} {'reply p99':>10}"
            )
            for n in sizes:
                rounds = [
                    (
                        load(bare_port, fake, n, expect_replies=False, env=env),
                        load(bot_port, fake, n, expect_replies=True, env=env),
                    )
                    for _ in range(options.rounds)
                ]
                figures = {}
                for name, index in (("bare Bolt", 0), ("pilothouse", 1)):
                    results = [r[index] for r in rounds]
                    row = {
                        "missed": sum(r.missed for r in results),
                        "ack50": statistics.median(percentile(r.acks, 50) for r in results),
                        "ack99": statistics.median(percentile(r.acks, 99) for r in results),
                    }
                    reply = f"{'-':>10} {'-':>10}"
                    if index:
                        reply50 = statistics.median(percentile(r.replies, 50) for r in results)
                        reply99 = statistics.median(percentile(r.replies, 99) for r in results)
                        reply = f"{reply50:9.3f}s {reply99:9.3f}s"
                    figures[name] = row
                    print(f"{n:>4} {name:<11} {row['missed']:>6} {row['ack50']:7.3f}s {row['ack99']:7.3f}s {reply}")
                p50 = figures["pilothouse"]["ack50"] / figures["bare Bolt"]["ack50"]
                p99 = figures["pilothouse"]["ack99"] / figures["bare Bolt"]["ack99"]
                print(f"{n:>4} ratio to the bare app: ack p50 {p50:.2f}x, ack p99 {p99:.2f}x (target <= 1.3x)")
        finally:
            for process in (bot, bare):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
