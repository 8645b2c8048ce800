"""A run whose process died after claiming it: what the sweep reports about the cluster, for each
kind of target (on the simulator; tests/approvals/test_race.py kills a real process mid-write)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.approvals import record as rec
from bot.approvals.record import Vote
from integrations.cluster.simulated import SimulatedCluster
from tests.chat import Chat, chat
from tests.policies import shaped

POLICY = shaped(
    {
        "roles": {"writer": {"commands": ["read", "write"], "cluster_wide": True}},
        "bindings": [{"name": "writers", "subjects": ["alice"], "roles": ["writer"], "direct_messages": "all"}],
        "approvals": [{"name": "restarts", "commands": ["restart"], "approvers": ["bob"], "count": 1}],
    }
)


def left_running_by_a_dead_process(c: Chat, approval_id: str, voter: str) -> None:
    """What a replica leaves when it is killed right after claiming the run: the deciding vote
    counted, the request `executing`, claimed by a process that will never finish it."""
    now = datetime.now(UTC)
    ballot = Vote(user=voter, label=voter, approve=True, at=now)
    c.pipeline.approvals.book.change(approval_id, lambda r: rec.vote(r, ballot, now, owner="gone:1:dead"))


def swept_later(c: Chat) -> None:
    desk = c.pipeline.approvals
    later = datetime.now(UTC) + desk.lost_after + timedelta(seconds=1)
    desk.clock = lambda: later
    desk.sweep()


def test_a_lost_restart_is_reported_with_the_deployment_as_it_is_now() -> None:
    cluster = SimulatedCluster.demo()
    alice = chat(cluster, policy=POLICY)
    approval_id = re.findall(r"Approval request (A-\w{4})", alice.say("restart web"))[0]
    left_running_by_a_dead_process(alice, approval_id, "bob")
    alice.pipeline.approvals.sweep()  # too early: for all anyone knows, it is still running
    assert "State:        running now" in alice.say(f"show {approval_id}")
    swept_later(alice)
    text = alice.say(f"show {approval_id}")
    assert "State:        in an unknown state" in text
    assert "the process running it stopped; the change may or may not have been made" in text
    assert "What the cluster shows now:\nDeployment `web`" in text and re.search(r"^Revision: +2$", text, re.M)
    bob = chat(cluster, policy=POLICY, store=alice.pipeline.store, user="bob")
    assert "in an unknown state: it can no longer be voted on" in bob.say(f"approve {approval_id}")
    swept_later(bob)
    assert cluster.get_deployment("shop", "web").revision == 2  # never run again


def test_a_lost_node_change_describes_the_node() -> None:
    alice = chat(SimulatedCluster.demo(), policy=POLICY)
    approval_id = re.findall(r"Confirm (A-\w{4})", alice.say("cordon node-1"))[0]
    left_running_by_a_dead_process(alice, approval_id, "alice")
    swept_later(alice)
    text = alice.say(f"show {approval_id}")
    assert "What the cluster shows now:\nNode `node-1`" in text, text
