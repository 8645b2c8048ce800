"""Approvals with every part real: four Pilothouse replicas as OS processes sharing one real
redis-server, changing a Deployment on the real v1.20.2 control plane as Pilothouse's own
identity (RBAC: `edit` in the test's namespace only).

Exactly one execution is proved three ways: from the cluster (one new ReplicaSet revision, one
change-cause), from the audit trail (one recorded intent to change, one result) and from the
record (state done, the votes that counted). Then what a restart, a killed process and a moved
target do to a request."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from integrations.cluster.model import REVISION
from tests.approvals.replicas import (
    APPROVERS,
    REQUESTER,
    Ledger,
    Replica,
    bot_rights,
    burst,
    policy_text,
    replica_env,
    replicas,
)
from tests.approvals.webhook import HoldingWebhook
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment

CAUSE = "kubernetes.io/change-cause"


@dataclass
class Rig:
    api: ApiClient
    namespace: str
    env: dict[str, str]
    ledger: Ledger
    bot_user: str  # Pilothouse's own identity, as Kubernetes knows it
    bot_context: str  # and as its kubeconfig names it (what the audit trail records)

    @property
    def path(self) -> str:
        return f"/apis/apps/v1/namespaces/{self.namespace}/deployments/web"

    def web(self) -> dict[str, Any]:
        found: dict[str, Any] = request(self.api, "GET", self.path)
        return found

    def replica_sets(self) -> list[dict[str, Any]]:
        path = f"/apis/apps/v1/namespaces/{self.namespace}/replicasets"
        items: list[dict[str, Any]] = request(self.api, "GET", path, query={"labelSelector": "app=web"})["items"]
        return sorted(items, key=lambda rs: int(rs["metadata"]["annotations"][REVISION]))

    def settled(self, revision: str) -> None:
        """Until the Deployment controller has acted on the last change (and made its ReplicaSet)."""

        def done() -> bool:
            web = self.web()
            status = web.get("status", {})
            return (
                web["metadata"].get("annotations", {}).get(REVISION) == revision
                and status.get("observedGeneration") == web["metadata"]["generation"]
                and len(self.replica_sets()) == int(revision)
            )

        wait_for(done, f"web at revision {revision}", timeout=60)

    def restart(self) -> str:
        return f"restart web -n {self.namespace} --reason drill"


@pytest.fixture
def rig(control_plane: ControlPlane, namespace: str, redis_url: str, tmp_path: Path) -> Iterator[Rig]:
    api = control_plane.admin_api_client()
    web = deployment(namespace, "web")
    web["metadata"]["labels"] = HoldingWebhook.labels(namespace)
    apply_objects(api, [*bot_rights(namespace, control_plane.bot_user), web])
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text(count=3))
    env = replica_env(redis_url=redis_url, kubeconfig=control_plane.bot_kubeconfig, policy=policy)
    kubeconfig = yaml.safe_load(control_plane.bot_kubeconfig.read_text())
    found = Rig(api, namespace, env, Ledger(redis_url), control_plane.bot_user, kubeconfig["current-context"])
    found.settled("1")
    wait_for(lambda: found.web().get("status", {}).get("availableReplicas") == 2, "web available")
    yield found
    found.ledger.store.close()


def requested(text: str) -> str:
    match = re.search(r"Approval request (A-\w{4}): `restart web", text)
    assert match, text
    return match[1]


def assert_ran_once(rig: Rig, approval_id: str) -> None:
    """The cluster, the audit trail and the record agree: the change was made, once."""
    rig.settled("2")
    time.sleep(1.0)  # anything run twice would have reached the API server by now
    sets = rig.replica_sets()
    assert [rs["metadata"]["annotations"][REVISION] for rs in sets] == ["1", "2"]
    cause = rig.web()["metadata"]["annotations"][CAUSE]
    assert cause == f"restart web by {REQUESTER} from C0DEPLOY01 via Pilothouse: drill"
    assert sets[1]["metadata"]["annotations"][CAUSE] == cause
    (intent,) = rig.ledger.runs(approval_id)
    assert (intent.command, intent.user, intent.k8s_identity) == ("restart", REQUESTER, rig.bot_context)
    (result,) = rig.ledger.result_of(intent)
    assert result.outcome == "ok"
    record = rig.ledger.record(approval_id)
    assert record.state == "done" and record.outcome == "done"
    assert record.approved_at is not None and record.claimed_at is not None
    assert record.approved_at <= record.claimed_at <= intent.at


def test_fifty_approvers_voting_at_once_on_four_replicas_run_the_change_once(rig: Rig) -> None:
    with replicas(4, rig.env) as bots:
        approval_id = requested(bots[0].say(rig.restart()))
        replies = burst(bots, [(who, f"approve {approval_id}") for who in APPROVERS])
    ran = [who for who, text in zip(APPROVERS, replies, strict=True) if "was run as U0REQUEST" in text]
    counted = [who for who, text in zip(APPROVERS, replies, strict=True) if "Counted your approval" in text]
    late = [text for text in replies if "it can no longer be voted on" in text]
    assert len(ran) == 1 and len(counted) == 2 and len(late) == 47, replies
    assert f"{approval_id} is approved (3 of 3 approvals) and was run as U0REQUEST:" in replies[APPROVERS.index(ran[0])]
    assert_ran_once(rig, approval_id)
    record = rig.ledger.record(approval_id)
    assert {v.user for v in record.votes} == {*counted, *ran}  # exactly the three whose vote was counted
    assert all(v.approve for v in record.votes) and record.claimed_by is not None
    assert len({b.owner for b in bots}) == 4 and record.claimed_by in {b.owner for b in bots}


def test_one_person_voting_ten_times_at_once_counts_once(rig: Rig) -> None:
    with replicas(4, rig.env) as bots:
        approval_id = requested(bots[0].say(rig.restart()))
        replies = burst(bots, [(APPROVERS[0], f"approve {approval_id}")] * 10)
        assert all(f"Counted your approval of {approval_id}" in text for text in replies), replies
        assert sum("(it replaces your earlier vote)" in text for text in replies) == 9
        record = rig.ledger.record(approval_id)
        assert record.state == "pending" and [v.user for v in record.votes] == [APPROVERS[0]] and record.needed == 2
        assert len(rig.replica_sets()) == 1 and rig.ledger.runs(approval_id) == []
        bots[1].say(f"approve {approval_id}", user=APPROVERS[1])
        assert "and was run as" in bots[2].say(f"approve {approval_id}", user=APPROVERS[2])
    assert_ran_once(rig, approval_id)


def test_a_restart_mid_approval_keeps_the_votes(rig: Rig) -> None:
    first = Replica(rig.env)
    approval_id = requested(first.say(rig.restart()))
    assert "1 of 3 approvals, 2 more needed" in first.say(f"approve {approval_id}", user=APPROVERS[0])
    first.kill()
    with replicas(1, rig.env) as (second,):
        assert "Counted your approval" in second.say(f"approve {approval_id}", user=APPROVERS[1])
        assert "and was run as" in second.say(f"approve {approval_id}", user=APPROVERS[2])
        assert "it can no longer be voted on" in second.say(f"approve {approval_id}", user=APPROVERS[3])
    assert_ran_once(rig, approval_id)
    record = rig.ledger.record(approval_id)
    assert [v.user for v in record.votes] == list(APPROVERS[:3])
    assert record.claimed_by is not None and record.claimed_by.split(":")[1] == str(second.pid)


def test_a_process_killed_while_running_the_change_is_reported_unknown_and_never_rerun(rig: Rig) -> None:
    with HoldingWebhook(rig.api, namespace=rig.namespace, user=rig.bot_user) as webhook, replicas(2, rig.env) as bots:
        doomed, survivor = bots
        approval_id = requested(survivor.say(rig.restart()))
        for who in APPROVERS[:2]:
            survivor.say(f"approve {approval_id}", user=who)
        doomed.send({"op": "say", "user": APPROVERS[2], "channel": "C0DEPLOY01", "text": f"approve {approval_id}"})
        assert webhook.arrived.wait(30), "the real write never reached the API server"
        running = rig.ledger.record(approval_id)
        assert running.state == "executing" and running.claimed_by == doomed.owner
        doomed.kill()  # in the middle of its write: the API server is still deciding it
        webhook.release()
        time.sleep(1.0)  # the API server finishes (or drops) the write of a client that is gone
        revisions = len(rig.replica_sets())
        revision = rig.web()["metadata"]["annotations"][REVISION]  # 1: the API server dropped it

        assert "running now: it can no longer be voted on" in survivor.say(f"approve {approval_id}", user=APPROVERS[3])
        survivor.sweep()  # the budget's lost_after has not passed: still running, for all we know
        assert rig.ledger.record(approval_id).state == "executing"
        time.sleep(1.0)
        survivor.sweep(lost_after=1.0)  # as with a 1 s budget and no margins: the claim is lost
        lost = rig.ledger.record(approval_id)
        assert lost.state == "unknown", lost
        assert lost.outcome == "unknown: the process running it stopped; the change may or may not have been made"
        shows = "\n".join(lost.result)
        assert shows.startswith("What the cluster shows now:\nDeployment `web`"), shows
        assert re.search(rf"^Revision: +{revision}$", shows, re.M), shows  # as the cluster has it

        text = survivor.say(f"show {approval_id}")
        assert "State:        in an unknown state" in text and "What the cluster shows now:" in text
        assert "in an unknown state: it can no longer be voted on" in survivor.say(
            f"approve {approval_id}", user=APPROVERS[4]
        )
        survivor.sweep(lost_after=0.001)
        survivor.sweep()
    time.sleep(1.0)
    assert rig.ledger.record(approval_id).state == "unknown"
    assert len(rig.replica_sets()) == revisions  # nothing ran it again
    (attempt,) = rig.ledger.runs(approval_id)  # the one attempt, by the process that died
    assert rig.ledger.result_of(attempt) == []
    assert rig.ledger.outcomes(approval_id).count("unknown") == 1  # settled once, by one of the sweeps


def test_a_target_changed_before_the_last_approval_is_superseded_and_asked_for_afresh(rig: Rig) -> None:
    with replicas(2, rig.env) as (asker, voter):
        approval_id = requested(asker.say(rig.restart()))
        image = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}}
        request(rig.api, "PATCH", rig.path, image, content_type="application/strategic-merge-patch+json")
        rig.settled("2")
        for who in APPROVERS[:2]:
            voter.say(f"approve {approval_id}", user=who)
        text = voter.say(f"approve {approval_id}", user=APPROVERS[2])
        match = re.search(
            rf"{approval_id} was not run: the target changed after it was approved\. "
            r"Fresh approval is needed: (A-\w{4})\.",
            text,
        )
        assert match, text
        fresh_id = match[1]
        assert f"Approval request {fresh_id}: `restart web --namespace {rig.namespace}" in text
        old, fresh = rig.ledger.record(approval_id), rig.ledger.record(fresh_id)
        assert (old.state, old.superseded_by) == ("superseded", fresh_id)
        assert (fresh.state, fresh.supersedes, fresh.votes) == ("pending", approval_id, ())
        assert fresh.digest != old.digest and fresh.requester == REQUESTER
        time.sleep(1.0)
        web = rig.web()
        assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
        assert "kubectl.kubernetes.io/restartedAt" not in (web["spec"]["template"]["metadata"].get("annotations") or {})
        assert len(rig.replica_sets()) == 2 and rig.ledger.runs(approval_id) == []  # nothing ran on the stale plan
        assert "superseded by" in voter.say(f"approve {approval_id}", user=APPROVERS[3])

        for who in APPROVERS[:2]:
            asker.say(f"approve {fresh_id}", user=who)
        assert "and was run as" in voter.say(f"approve {fresh_id}", user=APPROVERS[2])
    rig.settled("3")
    assert rig.web()["metadata"]["annotations"][CAUSE].startswith(f"restart web by {REQUESTER}")
    assert len(rig.ledger.runs(fresh_id)) == 1 and rig.ledger.runs(approval_id) == []
