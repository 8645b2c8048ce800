"""The audit trail: one record per message and decision, on a stream in the store (a real
redis-server here) and as one JSON log line; the intent of a change recorded before it; queried
by time through the stream's IDs, in chat (`audit`, its own permission) and for a SIEM
(`pilothouse audit export`)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import AUDIT_STREAM, AuditLog
from bot.logs import JsonFormatter
from commands.errors import StoreUnavailable
from commands.replies import Table
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from integrations.store.redis_store import RedisStore
from tests.chat import Chat, chat
from tests.policies import from_yaml, writers

PILOTHOUSE = str(Path(sys.executable).parent / "pilothouse")


def test_records_go_to_a_redis_stream_and_are_read_back_by_time(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix=f"audit-{uuid.uuid4().hex[:6]}:")
    c = chat(SimulatedCluster.demo(), policy=writers("alice"), store=store)
    c.say("get pods -n shop")
    time.sleep(0.01)
    middle = datetime.now(UTC)
    time.sleep(0.01)
    c.say("scale web 4 -n shop --reason 'load test'")
    entries = store.stream_range(AUDIT_STREAM, count=10)
    records = [json.loads(v) for _, v in entries]
    assert [(r["command"], r["phase"], r["outcome"]) for r in records] == [
        ("get pods", "result", "ok"),
        ("scale", "intent", "ok"),  # written before the change was attempted
        ("scale", "result", "ok"),
    ]
    scale = records[2]
    assert scale["args"] == {"namespace": "shop", "name": "web", "replicas": 4, "reason": "load test"}
    assert (scale["decision"], scale["rule"], scale["k8s_identity"]) == ("allow", "writers", "demo-admin (simulated)")
    assert scale["user"] == "alice" and scale["duration_ms"] >= 0 and scale["request_id"] == records[1]["request_id"]
    trail = AuditLog(store)
    assert [r.command for r in trail.between(middle, None)] == ["scale", "scale"]
    assert [r.command for r in trail.between(None, middle)] == ["get pods"]
    assert all(r.id for r in trail.between(None, None))  # each carries its stream ID


def test_every_record_is_also_one_json_log_line(caplog: pytest.LogCaptureFixture) -> None:
    c = chat(SimulatedCluster.demo())
    with caplog.at_level(logging.INFO, logger="pilothouse.audit"):
        c.say("get pods -n shop")
    (record,) = [r for r in caplog.records if r.name == "pilothouse.audit"]
    line = json.loads(JsonFormatter().format(record))
    assert line["audit"]["command"] == "get pods" and line["audit"]["decision"] == "allow"
    assert line["audit"]["rule"] == "reads-for-everyone" and line["audit"]["request_id"]
    assert line["logger"] == "pilothouse.audit" and line["level"] == "info"


class NoStream(MemoryStore):
    """A store that cannot take audit records (everything else works)."""

    def stream_add(self, key: str, value: str, *, max_len: int, min_id: str | None = None) -> str:
        raise StoreUnavailable("The state store cannot be used: XADD failed (test)")


def test_a_change_whose_intent_cannot_be_recorded_is_refused_and_reads_still_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cluster = SimulatedCluster.demo()
    c = chat(cluster, policy=writers("alice"), store=NoStream())
    with caplog.at_level(logging.ERROR, logger="bot.audit"):
        refused = c.say("scale web 5 -n shop")
        read = c.say("get deploy web -n shop")
    assert refused.startswith("✖ Nothing was changed: the audit trail cannot record `scale` first")
    assert "Changes wait until the state store is back; reads still work." in refused
    assert cluster.get_deployment("shop", "web").desired == 3  # untouched
    assert "Deployments in namespace `shop`" in read
    assert "audit record" in caplog.text and "not stored" in caplog.text  # the read's record: logged


@pytest.fixture
def team() -> Chat:
    policy = from_yaml(
        """
        groups: {auditors: [U0ERIN005], staging-auditors: [U0FRANK06]}
        roles:
          changer: {commands: [read, write], cluster_wide: true}
          audit-all: {commands: [audit]}
          audit-staging: {commands: [audit], clusters: [staging]}
        bindings:
          - {name: everyone-changes, subjects: [everyone], roles: [changer]}
          - {name: auditors, subjects: [auditors], roles: [audit-all]}
          - {name: staging-auditors, subjects: [staging-auditors], roles: [audit-staging]}
        """
    )
    c = chat(SimulatedCluster.demo("staging"), SimulatedCluster.demo("prod"), policy=policy, store=MemoryStore())
    for user, text in (
        ("U0ALICE01", "scale web 2 -n shop --cluster staging"),
        ("U0BOB0002", "get pods -n shop --cluster prod"),
        ("U0BOB0002", "get pods -n kube-nope --cluster prod"),
        ("U0ALICE01", "scale web 2 -n shop --cluster prod"),
    ):
        Chat(c.pipeline, user=user, channel="C0OPS0001").say(text)
    return c


def as_(c: Chat, user: str) -> Chat:
    return Chat(c.pipeline, user=user, channel="C0OPS0001")


def test_audit_in_chat_needs_its_own_permission(team: Chat) -> None:
    assert "You may not run `audit`" in as_(team, "U0ALICE01").say("audit")  # may change things, not audit
    text = as_(team, "U0ERIN005").say("audit --since 1h")
    assert text.index("scale cluster=prod") < text.index("get pods cluster=prod") < text.index("scale cluster=staging")
    assert "shop@prod" in text and "shop@staging" in text


def test_audit_filters(team: Chat) -> None:
    erin = as_(team, "U0ERIN005")
    alice = erin.say("audit --user U0ALICE01")
    assert "U0BOB0002" not in alice and "U0ALICE01" in alice
    only_prod = erin.say("audit --cluster prod --outcome ok")
    assert "@staging" not in only_prod and "get pods cluster=prod namespace=shop" in only_prod
    assert "kube-nope" not in only_prod
    assert "kube-nope" in erin.say("audit --outcome failed")
    erin.say("audit --limit 1")
    (rows,) = [b.rows for b in erin.last.blocks if isinstance(b, Table)]
    assert len(rows) == 1 and rows[0][3].startswith("audit outcome=failed")  # the newest: Erin's last query
    assert "is not a time" in erin.say("audit --since yesterday")


def test_audit_shows_only_clusters_the_person_may_audit(team: Chat) -> None:
    frank = as_(team, "U0FRANK06")
    text = frank.say("audit --user U0ALICE01")
    assert "shop@staging" in text and "shop@prod" not in text
    assert "1 record(s) left out: of clusters the policy does not let you audit" in text
    assert "You may not run `audit` on `prod`" in frank.say("audit --cluster prod")


def test_export_writes_json_lines_for_a_time_range(redis_url: str) -> None:
    user = f"U0EXPORT{uuid.uuid4().hex[:6].upper()}"
    store = RedisStore(redis_url)  # the default prefix, as `pilothouse` uses it
    c = chat(SimulatedCluster.demo(), store=store, user=user)
    c.say("get pods -n shop")
    c.say("get deploy -n shop")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env["PILOTHOUSE_REDIS_URL"] = redis_url

    def export(*args: str) -> list[dict[str, object]]:
        result = subprocess.run(
            [PILOTHOUSE, "audit", "export", *args], capture_output=True, text=True, env=env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    mine = [r for r in export("--since", "10m") if r["user"] == user]
    assert [r["command"] for r in mine] == ["get pods", "get deployments"] and all(r["id"] for r in mine)
    before = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert [r for r in export("--since", "2h", "--until", before) if r["user"] == user] == []
    result = subprocess.run(
        [PILOTHOUSE, "audit", "export", "--since", "last tuesday"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2 and "is not a time" in result.stderr and "Traceback" not in result.stderr


def test_digest_print_is_decided_for_the_local_operator_and_audited(redis_url: str, tmp_path: Path) -> None:
    operator = f"U0OPS{uuid.uuid4().hex[:6].upper()}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"roles: {{digest: {{commands: ['digest now'], cluster_wide: true}}}}\n"
        f"bindings: [{{name: operators, subjects: [{operator}], roles: [digest]}}]\n"
        "defaults: {reads_for_everyone: false}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update(PILOTHOUSE_REDIS_URL=redis_url, PILOTHOUSE_POLICY_FILE=str(policy))

    def digest(user: str) -> subprocess.CompletedProcess[str]:
        argv = [PILOTHOUSE, "digest", "--print", "-n", "shop", "--user", user]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)

    allowed, refused = digest(operator), digest("U0SOMEONE")
    assert allowed.returncode == 0 and "namespace `shop` on `demo`" in allowed.stdout, allowed.stderr
    assert refused.returncode == 2 and "You may not run `digest now` in namespace `shop`" in refused.stderr
    records = [r for r in AuditLog(RedisStore(redis_url)).recent(50) if r.user in (operator, "U0SOMEONE")]
    assert [(r.user, r.command, r.outcome, r.rule) for r in records] == [
        ("U0SOMEONE", "digest now", "denied", "default-deny"),
        (operator, "digest now", "ok", "operators"),
    ]
    assert records[1].channel == "cli" and records[1].k8s_identity == "demo-admin (simulated)"
