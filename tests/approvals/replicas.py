"""Several Pilothouse replicas as real OS processes (tests/approvals/replica.py) sharing one
Redis and one cluster, and what a test needs around them: the policy they load, and reading
back the approval records and the audit trail they wrote."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bot.approvals.book import ApprovalBook
from bot.approvals.record import ApprovalRecord
from bot.audit import AuditLog, AuditRecord
from integrations.store.redis_store import RedisStore

ROOT = Path(__file__).resolve().parents[2]
REQUESTER, CHANNEL = "U0REQUEST", "C0DEPLOY01"
APPROVERS = tuple(f"U0APPR{n:03d}" for n in range(1, 51))
RULE = "team-approval"


def policy_text(count: int, approvers: Sequence[str] = APPROVERS) -> str:
    """The requester may change anything from #deploy; `count` of the approvers group approve it."""
    return json.dumps(
        {
            "groups": {"deployers": [REQUESTER], "approvers": list(approvers)},
            "roles": {"deployer": {"commands": ["read", "write"], "cluster_wide": True}},
            "bindings": [
                {"name": "deployers", "subjects": ["deployers"], "roles": ["deployer"], "channels": [CHANNEL]}
            ],
            "approvals": [{"name": RULE, "commands": ["write"], "approvers": ["approvers"], "count": count}],
        }
    )  # JSON is YAML: the file is loaded and checked as PILOTHOUSE_POLICY_FILE always is


def bot_rights(namespace: str, user: str) -> list[dict[str, Any]]:
    """Pilothouse's own identity may change this namespace (ClusterRole `edit`) and read its
    events as `describe` does (`edit` leaves out events.k8s.io); nothing elsewhere."""
    rbac = "rbac.authorization.k8s.io"
    events = {
        "apiVersion": f"{rbac}/v1",
        "kind": "Role",
        "metadata": {"name": "bot-events", "namespace": namespace},
        "rules": [{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["get", "list"]}],
    }
    subjects = [{"kind": "User", "name": user, "apiGroup": rbac}]
    return [
        events,
        *(
            {
                "apiVersion": f"{rbac}/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"bot-{role.lower()}", "namespace": namespace},
                "roleRef": {"apiGroup": rbac, "kind": kind, "name": role},
                "subjects": subjects,
            }
            for kind, role in (("ClusterRole", "edit"), ("Role", "bot-events"))
        ),
    ]


class Replica:
    """One bot process; its answers come back on a thread of its own, so a wait can time out."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.approvals.replica"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        hello = self.receive(60)
        self.pid, self.owner = int(hello["pid"]), str(hello["owner"])

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(json.loads(line))

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def receive(self, timeout: float = 120) -> dict[str, Any]:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"replica {self.process.pid} did not answer in {timeout} s") from None

    def say(self, text: str, *, user: str = REQUESTER, channel: str = CHANNEL) -> str:
        self.send({"op": "say", "user": user, "channel": channel, "text": text})
        return str(self.receive()["text"])

    def sweep(self, lost_after: float | None = None) -> None:
        self.send({"op": "sweep", "lost_after": lost_after})
        self.receive()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no last words, as a node failure or the OOM killer would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def replica_env(*, redis_url: str, kubeconfig: Path, policy: Path, budget: float = 30.0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_") and k != "KUBECONFIG"}
    env.update(
        PILOTHOUSE_REDIS_URL=redis_url,
        PILOTHOUSE_KUBECONFIG=str(kubeconfig),
        PILOTHOUSE_POLICY_FILE=str(policy),
        PILOTHOUSE_REQUEST_BUDGET=str(budget),
        PILOTHOUSE_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def replicas(n: int, env: dict[str, str]) -> Iterator[list[Replica]]:
    """`n` replicas, started side by side; stopped (or killed) afterwards."""
    with ExitStack() as stack:
        started: list[Replica] = []
        for _ in range(n):
            replica = Replica(env)
            stack.callback(replica.stop)
            started.append(replica)
        yield started


def burst(
    replicas: Sequence[Replica], says: Sequence[tuple[str, str]], *, channel: str = CHANNEL, lead: float = 1.0
) -> list[str]:
    """Each (user, text) said on a thread of its own, dealt round-robin over the replicas, all
    released at the same wall-clock moment, `lead` seconds from now; the replies in the order given."""
    at = time.time() + lead
    dealt: list[list[int]] = [[] for _ in replicas]
    for i in range(len(says)):
        dealt[i % len(replicas)].append(i)
    for replica, mine in zip(replicas, dealt, strict=True):
        messages = [{"user": says[i][0], "channel": channel, "text": says[i][1]} for i in mine]
        replica.send({"op": "burst", "at": at, "says": messages})
    texts = [""] * len(says)
    for replica, mine in zip(replicas, dealt, strict=True):
        for i, text in zip(mine, replica.receive()["texts"], strict=True):
            texts[i] = text
    return texts


class Ledger:
    """What the replicas left in the shared store: approval records and the audit trail."""

    def __init__(self, redis_url: str) -> None:
        self.store = RedisStore(redis_url)
        self.book = ApprovalBook(self.store)
        self.audit = AuditLog(self.store)

    def record(self, approval_id: str) -> ApprovalRecord:
        found = self.book.get(approval_id)
        assert found is not None, f"no record {approval_id}"
        return found

    def runs(self, approval_id: str) -> list[AuditRecord]:
        """The executions of one request, as the audit trail has them: each recorded intent to
        change (written before the change is attempted: bot/audit.py)."""
        return [r for r in self._trail() if r.phase == "intent" and r.args.get("approval") == approval_id]

    def result_of(self, intent: AuditRecord) -> list[AuditRecord]:
        """The result records of the same execution (none if its process died)."""
        return [r for r in self._trail() if r.phase == "result" and r.request_id == intent.request_id]

    def outcomes(self, approval_id: str) -> list[str]:
        """The outcomes the trail records for the request's own messages and settling."""
        return [r.outcome for r in self._trail() if r.phase == "result" and r.args.get("approval") == approval_id]

    def _trail(self) -> list[AuditRecord]:
        return list(self.audit.between(None, None))
