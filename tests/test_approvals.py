"""Approvals, as a team lives them in the shell: a request, votes, the change run once.

The team's policy is examples/policy.yaml (tests/test_policy.py's POLICY) on two simulated
clusters: Carol and Dan deploy, Erin approves, Alice develops. `restart` on prod needs one
approver (not the requester); anything destructive on prod needs two of approvers and
deployers. Time is a clock the tests move. The same scenarios against a real redis-server,
several processes and the real control plane are in tests/test_approvals_real.py.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.approvals import record as rec
from bot.approvals.book import record_key
from bot.message import Message
from bot.pipeline import Pipeline
from commands import default_registry
from commands.errors import Unreachable
from integrations.cluster import patches, resources, workloads
from integrations.cluster.clusters import Clusters
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from integrations.store.port import Store
from tests.policies import from_yaml, shaped
from tests.test_policy import EXAMPLE, POLICY

CAROL, DAN, ERIN, ALICE, MALLORY = "U0CAROL03", "U0DAN0004", "U0ERIN005", "U0ALICE01", "U0MALLORY"
DEPLOY_PROD, OPS = "C0DEPLOYPROD", "C0OPS0001"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Team:
    """One pipeline (one replica), the people speaking to it, and the prod cluster to look at."""

    def __init__(self, store: Store | None = None, policy=POLICY, clock: Clock | None = None) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock or Clock()
        self.store = store or MemoryStore()
        self.staging, self.prod = SimulatedCluster.demo("staging-eu"), SimulatedCluster.demo("prod-eu")
        self.policy = policy
        self.pipeline = self.replica()

    def replica(self, prod: SimulatedCluster | None = None, policy=None) -> Pipeline:  # type: ignore[no-untyped-def]
        """Another process of the bot: its own pipeline, the same store and clusters."""
        return Pipeline(
            registry=default_registry(),
            clusters=Clusters([self.staging, prod or self.prod], "staging-eu"),
            store=self.store,
            policy=policy or self.policy,
            clock=self.clock,
        )

    def say(self, user: str, text: str, channel: str = DEPLOY_PROD, pipeline: Pipeline | None = None) -> str:
        return render((pipeline or self.pipeline).handle(Message(user, channel, text)))

    def revision(self) -> int:
        return int(self.prod.get_deployment("shop", "web").revision)

    def replicas(self) -> int:
        return self.prod.get_deployment("shop", "web").desired

    def record(self, approval_id: str) -> rec.ApprovalRecord:
        found = self.pipeline.approvals.book.get(approval_id)
        assert found is not None
        return found


def request_id(text: str) -> str:
    found = re.search(r"\bA-[0-9A-Z]{4}\b", text)
    assert found, text
    return found.group(0)


@pytest.fixture
def team() -> Team:
    return Team()


def test_a_request_waits_for_an_approver_and_runs_once_as_its_requester(team: Team) -> None:
    asked = team.say(CAROL, "restart web -n shop --cluster prod-eu --reason 'stuck cache'")
    rid = request_id(asked)
    assert f"Approval request {rid}: `restart web --namespace shop --cluster prod-eu --reason 'stuck cache'`" in asked
    assert "Revision:     2 → 3" in asked  # the dry run's preview
    assert "Needs:        1 approval from approvers (not the requester)" in asked
    assert team.revision() == 2  # nothing happened yet
    # The requester cannot approve their own request, nor can someone who is not an approver.
    assert "you asked for this change, and rule `prod-restarts` needs someone else" in team.say(CAROL, f"approve {rid}")
    assert "only approvers may vote on it (rule `prod-restarts`)" in team.say(DAN, f"approve {rid}")
    assert "only approvers may vote" in team.say(ALICE, f"approve {rid}", channel=OPS)
    assert team.revision() == 2
    done = team.say(ERIN, f"approve {rid} --reason 'looked at the graphs'", channel=OPS)
    assert f"{rid} is approved (1 of 1 approval) and was run as U0CAROL03" in done
    assert "Restarting `web` in namespace `shop` on `prod-eu`" in done
    assert team.revision() == 3
    # Run as Carol, who asked, with her reason: the change-cause says so.
    history = team.say(CAROL, "history web -n shop --cluster prod-eu")
    assert "restart web by U0CAROL03 from C0DEPLOYPROD via Pilothouse: stuck cache" in history
    # Exactly once: every later vote finds it done.
    assert f"{rid} is done: it can no longer be voted on." in team.say(ERIN, f"approve {rid}", channel=OPS)
    assert team.revision() == 3
    shown = team.say(ALICE, f"show {rid}", channel=OPS)
    assert "State:        done" in shown and f"approved by {ERIN} (command, 09:00): looked at the graphs" in shown


def test_n_of_m_counts_distinct_people_and_a_withdrawn_vote_no_longer_counts(team: Team) -> None:
    rid = request_id(team.say(CAROL, "scale web 0 -n shop --cluster prod-eu"))
    assert "Destructive: scaling to 0 stops every pod." in team.say(CAROL, f"show {rid}")
    assert "2 approvals from approvers, deployers" in team.say(CAROL, f"show {rid}")
    assert "1 of 2 approvals, 1 more needed" in team.say(DAN, f"approve {rid}")
    # The same person again: it replaces the vote, it does not add one.
    assert "it replaces your earlier vote): 1 of 2 approvals, 1 more needed" in team.say(DAN, f"approve {rid}")
    assert "Withdrew your vote" in team.say(DAN, f"withdraw {rid}")
    assert "0 of 2 approvals" in team.say(CAROL, f"show {rid}")
    assert "1 of 2 approvals" in team.say(ERIN, f"approve {rid}", channel=OPS)
    assert team.replicas() == 3
    assert "is approved (2 of 2 approvals)" in team.say(DAN, f"approve {rid} --via button")
    assert team.replicas() == 0
    shown = team.say(CAROL, f"show {rid}")
    assert f"approved by {ERIN} (command" in shown and f"approved by {DAN} (button" in shown


def test_a_denial_refuses_the_request_and_nothing_runs(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    assert "is denied: denied by U0ERIN005" in team.say(ERIN, f"deny {rid} not during the sale", channel=OPS)
    assert f"{rid} is denied: it can no longer be voted on." in team.say(ERIN, f"approve {rid}", channel=OPS)
    assert team.revision() == 2
    assert "denied by U0ERIN005 (command, 09:00): not during the sale" in team.say(CAROL, f"show {rid}")


def test_expired_and_cancelled_requests_cannot_be_approved(team: Team) -> None:
    expiring = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    team.clock.advance(hours=1, seconds=1)  # rules' requests live 1h by default
    refused = team.say(ERIN, f"approve {expiring}", channel=OPS)
    assert f"{expiring} expired at 2026-12-02 10:00 UTC and can no longer be voted on." in refused
    assert "State:        expired" in team.say(CAROL, f"show {expiring}")
    settled = [r for r in team.pipeline.audit.between(None, None) if r.outcome == "expired"]
    assert [(r.user, r.command, r.args["approval"]) for r in settled] == [(CAROL, "restart", expiring)]
    cancelled = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    assert f"Only U0CAROL03, who asked for {cancelled}, can cancel it." in team.say(ERIN, f"cancel {cancelled}")
    assert f"Cancelled {cancelled}" in team.say(CAROL, f"cancel {cancelled}")
    assert f"{cancelled} is cancelled: it can no longer be voted on." in team.say(ERIN, f"approve {cancelled}")
    assert team.revision() == 2


def test_a_moved_target_supersedes_the_request_and_fresh_approval_is_asked(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    # Meanwhile someone deploys another image, outside this request.
    deployments = resources.require(team.prod, resources.DEPLOYMENTS)
    body = patches.image("deployments", "web", "ghcr.io/acme/web:9.9")
    workloads.change(team.prod, deployments, "shop", "web", body, cause="kubectl", dry_run=False)
    moved = team.revision()
    answer = team.say(ERIN, f"approve {rid}", channel=OPS)
    assert f"{rid} was not run: the target changed after it was approved. Fresh approval is needed: A-" in answer
    fresh = request_id(answer.split("Fresh approval is needed:", 1)[1])
    assert team.revision() == moved  # nothing ran on the stale plan
    assert f"superseded by {fresh}" in team.say(CAROL, f"show {rid}")
    assert f"Replaces:     {rid}" in team.say(CAROL, f"show {fresh}")
    assert "is approved" in team.say(ERIN, f"approve {fresh}", channel=OPS)
    assert team.revision() == moved + 1


def test_eligibility_is_decided_at_the_moment_of_the_vote(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    text = EXAMPLE.read_text().replace("approvers: [U0ERIN005]", "approvers: [U0ALICE01]")
    team.pipeline.policy.current = from_yaml(text)  # a reload: Erin is no longer an approver
    assert "only approvers may vote on it" in team.say(ERIN, f"approve {rid}", channel=OPS)
    assert "is approved" in team.say(ALICE, f"approve {rid}", channel=OPS)


def test_a_restart_keeps_the_votes(team: Team) -> None:
    rid = request_id(team.say(CAROL, "scale web 0 -n shop --cluster prod-eu"))
    team.say(DAN, f"approve {rid}")
    after_restart = team.replica()  # a new process: nothing in memory, the same store
    assert "1 of 2 approvals" in team.say(CAROL, f"show {rid}", pipeline=after_restart)
    assert "is approved (2 of 2 approvals)" in team.say(ERIN, f"approve {rid}", channel=OPS, pipeline=after_restart)
    assert team.replicas() == 0


def test_a_run_whose_process_died_is_reported_unknown_and_never_run_again(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    desk = team.pipeline.approvals
    # Erin's vote reached the quorum in a process that died right after claiming the run.
    ballot = rec.Vote(user=ERIN, label=ERIN, approve=True, at=team.clock())
    desk.book.change(rid, lambda r: rec.vote(r, ballot, team.clock(), owner="dead-host:1234:abcdef"))
    assert "State:        running now" in team.say(CAROL, f"show {rid}")
    team.clock.advance(seconds=desk.lost_after.total_seconds() + 1)
    team.say(CAROL, "approvals")  # looking sweeps what time has decided
    shown = team.say(CAROL, f"show {rid}")
    assert "State:        in an unknown state" in shown
    assert "the process running it stopped; the change may or may not have been made" in shown
    assert "What the cluster shows now:" in shown and "web" in shown
    assert f"{rid} is in an unknown state: it can no longer be voted on." in team.say(ERIN, f"approve {rid}")
    assert team.revision() == 2  # never silently re-run
    lost = [r for r in team.pipeline.audit.between(None, None) if r.outcome == "unknown"]
    assert [(r.user, r.args["approval"]) for r in lost] == [(CAROL, rid)]


def test_concurrent_votes_run_the_change_exactly_once() -> None:
    approvers = [f"U0APPR{i:03d}" for i in range(24)]
    policy = shaped(
        {
            "groups": {"approvers": approvers},
            "roles": {"deployer": {"commands": ["read", "write"]}},
            "bindings": [{"name": "carol-deploys", "subjects": [CAROL], "roles": ["deployer"]}],
            "approvals": [{"name": "three-of-many", "commands": ["restart"], "approvers": ["approvers"], "count": 3}],
        }
    )
    team = Team(policy=policy)
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    replicas = [team.replica(policy=policy) for _ in range(4)]  # four processes, one store
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda i: team.say(approvers[i], f"approve {rid}", channel=OPS, pipeline=replicas[i % 4]),
                range(len(approvers)),
            )
        )
    assert sum("was run as U0CAROL03" in a for a in answers) == 1, answers
    assert team.revision() == 3  # one rollout
    record = team.record(rid)
    assert record.state == "done" and len(record.approvals) == 3


def test_every_vote_and_the_run_are_in_the_audit_trail(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    team.say(CAROL, f"approve {rid}")  # refused: recorded too
    team.say(ERIN, f"approve {rid}", channel=OPS)
    records = list(team.pipeline.audit.between(None, None))
    asked = next(r for r in records if r.command == "restart" and r.outcome == "asked")
    assert asked.user == CAROL and asked.args["approval"] == rid and asked.decision == "needs_approval"
    votes = [(r.user, r.outcome) for r in records if r.command == "approve" and r.phase == "result"]
    assert votes == [(CAROL, "denied"), (ERIN, "ok")]
    runs = [r for r in records if r.command == "restart" and r.args.get("approval") == rid and r.outcome == "ok"]
    assert {r.phase for r in runs} == {"intent", "result"} and {r.user for r in runs} == {CAROL}


def test_yes_is_the_simplest_approval_and_only_the_requester_gives_it() -> None:
    team = Team()
    asked = team.say(CAROL, "scale web 0 -n shop --cluster staging-eu")
    rid = request_id(asked)
    assert f"Confirm {rid}: `scale web 0 --namespace shop --cluster staging-eu`" in asked
    assert "Needs:        a `yes` from U0CAROL03" in asked
    assert "only U0CAROL03, who asked, can confirm it" in team.say(DAN, f"approve {rid}")
    assert "Nothing is waiting for your `yes` here." in team.say(DAN, "yes")
    assert "is confirmed and was run as U0CAROL03" in team.say(CAROL, "yes")
    assert team.staging.get_deployment("shop", "web").desired == 0


def test_bad_ids_and_unknown_requests_are_explained(team: Team) -> None:
    assert "`A-12` is not an approval request ID: they look like `A-7K2Q` (see `approvals`)" in team.say(
        ERIN, "approve A-12"
    )
    assert "There is no approval request A-7K2Q." in team.say(ERIN, "approve a-7k2q")
    assert "Nothing of yours is waiting here to cancel." in team.say(CAROL, "cancel")


def test_approvals_lists_what_you_may_vote_on_and_your_own(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    assert rid in team.say(ERIN, "approvals", channel=OPS)  # an approver
    assert rid in team.say(CAROL, "approvals")  # the requester
    assert "No approval requests are waiting for you." in team.say(ALICE, "approvals", channel=OPS)
    assert "No approval requests are waiting for you." in team.say(MALLORY, "approvals", channel=OPS)


def test_a_change_kept_in_the_store_waits_too_and_its_rehearsal_writes_nothing() -> None:
    """A digest schedule under an approval rule: the rehearsal's store writes are thrown away."""
    policy = shaped(
        {
            "groups": {"approvers": [ERIN]},
            "roles": {"operator": {"commands": ["read", "digest *"], "cluster_wide": True}},
            "bindings": [{"name": "carol-operates", "subjects": [CAROL], "roles": ["operator"]}],
            "approvals": [{"name": "digests-approved", "commands": ["digest schedule"], "approvers": ["approvers"]}],
        }
    )
    team = Team(policy=policy)
    rid = request_id(team.say(CAROL, 'digest schedule "0 9 * * 1-5" --cluster prod-eu'))
    assert "No digest is scheduled for this channel." in team.say(CAROL, "digest list")
    assert "is approved" in team.say(ERIN, f"approve {rid}", channel=OPS)
    assert "d-" in team.say(CAROL, "digest list")


class LosesAnswers(SimulatedCluster):
    """A cluster whose real writes arrive but whose answers are lost on the way back (a network
    that drops mid-request): the change is made, Pilothouse cannot know it."""

    def patch_object(self, resource, namespace, name, patch, *, dry_run):  # type: ignore[no-untyped-def]
        made = super().patch_object(resource, namespace, name, patch, dry_run=dry_run)
        if not dry_run:
            raise Unreachable(self.name, "the connection dropped before the answer came")
        return made


def test_a_run_whose_answer_was_lost_is_unknown_not_failed() -> None:
    team = Team()
    flaky = LosesAnswers.demo("prod-eu")
    team.prod = flaky
    team.pipeline = team.replica(prod=flaky)
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    answer = team.say(ERIN, f"approve {rid}", channel=OPS)
    assert f"{rid}: unknown:" in answer and "The change may or may not have been made" in answer
    assert team.record(rid).state == "unknown"
    assert team.revision() == 3  # it was made: "failed" would have been a lie
    outcomes = [r.outcome for r in team.pipeline.audit.between(None, None) if r.args.get("approval") == rid]
    assert "unknown" in outcomes and "failed" not in outcomes


def test_whoami_says_under_which_rules_you_may_approve(team: Team) -> None:
    erin = team.say(ERIN, "whoami", channel=OPS)
    assert "You may approve" in erin and "`prod-restarts`" in erin and "`destructive-in-prod`" in erin
    dan = team.say(DAN, "whoami")
    assert "`destructive-in-prod`" in dan and "`prod-restarts`" not in dan  # deployers vote on destructive ones
    assert "You may approve" not in team.say(ALICE, "whoami", channel=OPS)


def test_a_stricter_rule_after_a_reload_asks_afresh_instead_of_running(team: Team) -> None:
    """Approved under `prod-restarts`; by the time it runs the policy wants two people under a
    new rule: the old approval does not stand in for the new requirement."""
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    stricter = EXAMPLE.read_text().replace("  - name: prod-restarts\n", "  - name: prod-restarts-two\n", 1)
    stricter = stricter.replace(
        "    approvers: [approvers]  # users", "    approvers: [approvers, deployers]  # users", 1
    )
    stricter = stricter.replace("    count: 1  # distinct people", "    count: 2  # distinct people", 1)
    team.pipeline.policy.current = from_yaml(stricter)
    assert "its approval rule `prod-restarts` is no longer in the policy" in team.say(
        ERIN, f"approve {rid}", channel=OPS
    )
    # Approved before the reload, run after it: the run asks afresh.
    team.pipeline.policy.current = POLICY
    rid2 = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    ballot = rec.Vote(user=ERIN, label=ERIN, approve=True, at=team.clock())
    before = team.record(rid2)
    team.pipeline.policy.current = from_yaml(stricter)
    after = team.pipeline.approvals.book.change(
        rid2, lambda r: rec.vote(r, ballot, team.clock(), owner=team.pipeline.approvals.owner)
    )[1]
    answer = render(team.pipeline.approvals._execute(before, after))
    assert f"{rid2} was not run" in answer and "Fresh approval is needed: A-" in answer
    assert team.revision() == 2
    fresh = team.record(request_id(answer.split("Fresh approval is needed:", 1)[1]))
    assert fresh.requirement.rule == "prod-restarts-two" and fresh.requirement.count == 2


def test_a_request_is_shown_only_to_whoever_may_see_where_it_changes(team: Team) -> None:
    rid = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu --reason 'secret sauce'"))
    assert "secret sauce" in team.say(ALICE, f"show {rid}", channel=OPS)  # a developer reads prod
    refused = team.say(MALLORY, f"show {rid}", channel=OPS)  # nobody: reads are not for everyone here
    assert "You may not run `show` in namespace `shop` on `prod-eu`" in refused and "secret sauce" not in refused
    team.say(CAROL, f"cancel {rid}")
    assert rid in team.say(ALICE, "approvals --all", channel=OPS)
    assert rid not in team.say(MALLORY, "approvals --all", channel=OPS)


def test_pruning_the_index_keeps_a_request_made_meanwhile(team: Team) -> None:
    """The sweeper reads the index, then trims it: a request made in between stays findable."""
    first = request_id(team.say(CAROL, "restart web -n shop --cluster prod-eu"))
    book = team.pipeline.approvals.book
    ids, records = book.scan()
    second = request_id(team.say(CAROL, "scale web 0 -n shop --cluster prod-eu"))
    team.store.delete(record_key(first))  # gone from the store: its index entry goes
    book.prune(ids, [r for r in records if r.id != first])
    assert book.index() == [second]
    assert second in team.say(CAROL, "approvals")
