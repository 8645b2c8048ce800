"""One Pilothouse replica in an OS process of its own, driven over stdin/stdout: for the tests
and the benchmark that need several bot processes sharing one Redis and one cluster.

It is built exactly as the bot builds itself (`bot.wiring.build` from PILOTHOUSE_* settings:
RedisStore, KubeCluster from the kubeconfig, the policy file), and speaks JSON lines:

    {"op": "say", "user": U, "channel": C, "text": T}        → {"text": reply as the shell shows it}
    {"op": "burst", "at": EPOCH, "says": [{user, channel, text}, ...]}
        every message on a thread of its own, all released at wall-clock time EPOCH (so several
        processes vote at the same moment)                  → {"texts": [...]} in the same order
    {"op": "sweep", "lost_after": SECONDS | null}            → {"swept": true}
        `lost_after` sets how old a claim must be to count as lost, as a short request budget
        would (ApprovalDesk.lost_after); what the sweep decides is read back from the store.

On start it prints {"ready": true, "pid": PID, "owner": the desk's process identity}.

    python -m tests.approvals.replica
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import timedelta
from typing import Any

from bot.message import Message
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.wiring import build
from integrations.render.text import render


def _say(pipeline: Pipeline, say: dict[str, Any]) -> str:
    return render(pipeline.handle(Message(say["user"], say["channel"], say["text"])))


def _burst(pipeline: Pipeline, at: float, says: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = [""] * len(says)

    def one(i: int) -> None:
        time.sleep(max(0.0, at - time.time()))
        texts[i] = _say(pipeline, says[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(says))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return texts


def answer(pipeline: Pipeline, command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "say":
        return {"text": _say(pipeline, command)}
    if op == "burst":
        return {"texts": _burst(pipeline, command["at"], command["says"])}
    if op == "sweep":
        if command.get("lost_after") is not None:
            pipeline.approvals.lost_after = timedelta(seconds=command["lost_after"])
        pipeline.approvals.sweep()
        return {"swept": True}
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    app = build(Settings(), user="replica", shell=True)
    pipeline = app.pipeline
    print(json.dumps({"ready": True, "pid": os.getpid(), "owner": pipeline.approvals.owner}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(pipeline, json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
