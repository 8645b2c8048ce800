"""Benchmark of rollout tracking: how soon after a Deployment really completes does the bot say
so, and how many chat updates does one rollout cost?

On a real control plane, each round deploys a new image to a Deployment through the pipeline
and follows it as the Slack adapter does (one message, edited through LiveMessage's 2 s
throttle, against the fake Slack Web API, which counts the calls). Meanwhile an independent
watch, on a connection of its own, notes the moment the Deployment's status first meets
`kubectl rollout status`'s success condition. As a baseline, in the same round,
`kubectl rollout status --watch` follows the same rollout.

    .venv/bin/python bench/rollout_tracking.py [--rounds 5] [--replicas 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient

from bot.pipeline import Message, Pipeline
from bot.slack.live import LiveMessage
from commands import default_registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.render.blocks import render_message
from integrations.store.memory import MemoryStore
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import Watch, request
from tests.demo_seed import wait_for
from tests.manifests import deployment
from tests.policies import writers
from tests.slack.web_api import FakeSlackWebAPI

NAMESPACE = "bench-rollout"
CHANNEL = "C0BENCH"


def completion_watch(cp: ControlPlane, image: str, done: dict[str, float]) -> None:
    """Note when the Deployment first meets rollout status's success condition for `image`."""
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
    watch = Watch(cp.admin_api_client(), path, {"fieldSelector": "metadata.name=web"}, timeout=120)
    for event in watch:
        obj = event["object"]
        spec, status, meta = obj["spec"], obj.get("status", {}), obj["metadata"]
        if (
            spec["template"]["spec"]["containers"][0]["image"] == image
            and status.get("observedGeneration", 0) >= meta["generation"]
            and status.get("updatedReplicas") == spec["replicas"]
            and status.get("replicas") == spec["replicas"]
            and status.get("availableReplicas") == spec["replicas"]
        ):
            done["at"] = time.monotonic()
            watch.shutdown()
            return


def one_round(
    cp: ControlPlane, pipeline: Pipeline, fake: FakeSlackWebAPI, kubectl: str, image: str
) -> dict[str, float]:
    done: dict[str, float] = {}
    watcher = threading.Thread(target=completion_watch, args=(cp, image, done), daemon=True)
    watcher.start()
    time.sleep(0.3)  # the watch is open before the change
    before = len(fake.calls("chat.update")) + len(fake.calls("chat.postMessage"))
    reply = pipeline.handle(Message("bench", CHANNEL, f"deploy web {image} -n {NAMESPACE}"))
    baseline = subprocess.Popen(
        [
            kubectl,
            "--kubeconfig",
            str(cp.admin_kubeconfig),
            "rollout",
            "status",
            "deploy/web",
            "-n",
            NAMESPACE,
            "--watch",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = WebClient(token="xoxb-bench", base_url=fake.api_url)
    live = LiveMessage(client, CHANNEL)
    live.show(render_message(reply))
    final = pipeline.follow(
        reply, lambda progress: live.show(render_message(progress.reply)), message=Message("bench", CHANNEL, "")
    )
    assert final is not None and final.state.phase == "complete", final
    live.finish(render_message(final.reply), at_once=True)  # as bot/slack/jobs.py does
    reported = fake.calls("chat.update")[-1].at  # when Slack got the message that says "Rolled out"
    baseline.wait(120)
    kubectl_done = time.monotonic()
    watcher.join(10)
    messages = len(fake.calls("chat.update")) + len(fake.calls("chat.postMessage")) - before
    return {
        "delay": reported - done["at"],
        "kubectl_delay": kubectl_done - done["at"],
        "messages": messages,
        "seconds": final.state.elapsed,
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--replicas", type=int, default=5)
    args.add_argument("--min-ready", type=int, default=1, help="minReadySeconds: makes each rollout take a while")
    options = args.parse_args()
    with ControlPlane() as cp, FakeSlackWebAPI() as fake:
        fake.add_channel(CHANNEL, "bench")
        api = cp.admin_api_client()
        apply_objects(api, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
        web = deployment(NAMESPACE, "web", replicas=options.replicas, image="nginx:1.0")
        web["spec"]["minReadySeconds"] = options.min_ready
        apply_objects(api, [web])
        path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web"
        wait_for(
            lambda: request(api, "GET", path).get("status", {}).get("availableReplicas") == options.replicas, "web"
        )
        clusters, current = clusters_from_kubeconfig(str(cp.admin_kubeconfig), timeout=30)
        policy = writers("bench", name="bench")
        pipeline = Pipeline(
            registry=default_registry(), policy=policy, clusters=Clusters(clusters, current), store=MemoryStore()
        )
        kubectl = str(cp.bin_dir / "kubectl") if (cp.bin_dir / "kubectl").exists() else shutil.which("kubectl")
        if kubectl is None:
            raise SystemExit("no kubectl found (tests/cluster/build.sh puts Debian's in the cache)")
        rounds = [one_round(cp, pipeline, fake, kubectl, f"nginx:1.{i + 1}") for i in range(options.rounds)]

    def row(label: str, key: str, unit: str = "s", digits: int = 3) -> None:
        values = [r[key] for r in rounds]
        print(f"{label:44} {statistics.median(values):8.{digits}f}{unit} {max(values):8.{digits}f}{unit}")

    print(
        f"\n{options.rounds} rollouts of {options.replicas} replicas each, minReadySeconds {options.min_ready} "
        "(same API server, same run)"
    )
    print(f"{'':44} {'median':>9} {'worst':>9}")
    row("rollout duration (change → complete)", "seconds", digits=2)
    row("pilothouse: real completion → Slack edit", "delay")
    row("kubectl rollout status: completion → exit", "kubectl_delay")
    row("chat messages per rollout (post + updates)", "messages", unit=" ", digits=0)
    worst = max(r["delay"] for r in rounds)
    print(f"target: reported within 1 s of completion: {'met' if worst <= 1 else 'NOT met'} (worst {worst:.3f} s)")


if __name__ == "__main__":
    main()
