"""The bypass battery: what an attacker would try, each of which must fail.

The team's policy is examples/policy.yaml, on two simulated clusters named as its patterns
expect (`staging-eu`, `prod-eu`). Carol is a deployer, Alice a developer, Mallory nobody.
The Slack-only tricks (teams, buttons, reactions, user groups) are in tests/test_slack_access.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.audit import AuditLog
from bot.digest.changes import pilothouse_changes
from bot.message import Message
from commands.replies import Table
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.chat import Chat, chat
from tests.test_policy import POLICY

CAROL, ALICE, MALLORY = "U0CAROL03", "U0ALICE01", "U0MALLORY"
DEPLOY_PROD, OPS = "C0DEPLOYPROD", "C0OPS0001"
WEDNESDAY = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def team() -> Iterator[Chat]:
    """Carol in #deploy-prod; `as_(user, channel)` gives others on the same pipeline."""
    staging, prod = SimulatedCluster.demo("staging-eu"), SimulatedCluster.demo("prod-eu")
    # A Wednesday: the example's freezes (prod weekends, the year-end close) are off.
    pipeline = chat(staging, prod, policy=POLICY, store=MemoryStore(), clock=lambda: WEDNESDAY).pipeline
    yield Chat(pipeline, user=CAROL, channel=DEPLOY_PROD)


def as_(c: Chat, user: str, channel: str = OPS) -> Chat:
    return Chat(c.pipeline, user=user, channel=channel)


def refused(text: str) -> bool:
    return text.startswith("✖ ") and ("You may not run" in text or "needs approval" in text)


def test_the_deployer_may_do_what_the_policy_says(team: Chat) -> None:
    """The baseline each bypass below departs from: these are allowed."""
    assert "Deploying `ghcr.io/acme/web:2.0`" in team.say("deploy web ghcr.io/acme/web:2.0 --cluster prod-eu")
    assert "Scaled `web`" in team.say("scale web 4 --cluster prod-eu")
    assert "Pods in namespace `payments`" in as_(team, ALICE).say("get pods -n payments --cluster prod-eu")


def test_display_names_are_never_identities(team: Chat) -> None:
    pipeline = team.pipeline
    spoof = pipeline.handle(Message(MALLORY, DEPLOY_PROD, "scale web 0 --cluster prod-eu", user_name=CAROL))
    assert refused(render(spoof))
    # A real deployer with a misleading display name: records name them by ID first.
    done = pipeline.handle(
        Message(CAROL, DEPLOY_PROD, "scale web 5 --cluster prod-eu", user_name="root (approved by CISO)")
    )
    cause = dict(next(b for b in done.blocks if hasattr(b, "pairs")).pairs)["Change-cause"]  # type: ignore[attr-defined]
    assert cause.startswith('scale web 3→5 by U0CAROL03 ("root (approved by CISO)") from C0DEPLOYPROD')
    record = AuditLog(pipeline.store).recent(1)[0]
    assert (record.user, record.user_name) == (CAROL, "root (approved by CISO)")
    since, until = record.at - timedelta(seconds=5), datetime.now(UTC) + timedelta(seconds=1)
    changes = pilothouse_changes(AuditLog(pipeline.store), "prod-eu", None, since, until)
    assert [c.who for c in changes] == ['U0CAROL03 ("root (approved by CISO)")']


def test_another_channel_or_a_direct_message(team: Chat) -> None:
    assert refused(as_(team, CAROL, OPS).say("deploy web ghcr.io/acme/web:2.0 --cluster prod-eu"))
    assert refused(as_(team, CAROL, "D0CAROLDM").say("deploy web ghcr.io/acme/web:2.0 --cluster prod-eu"))
    assert refused(as_(team, CAROL, "shell").say("scale web 2 --cluster prod-eu"))


def test_case_tricks_in_ids_and_names(team: Chat) -> None:
    assert refused(as_(team, CAROL.lower(), DEPLOY_PROD).say("scale web 2 --cluster prod-eu"))
    assert refused(as_(team, CAROL, DEPLOY_PROD.lower()).say("scale web 2 --cluster prod-eu"))
    assert "No cluster named `PROD-eu`" in team.say("scale web 2 --cluster PROD-eu")
    assert "is not a valid name" in team.say("scale web 2 -n Shop --cluster prod-eu")
    assert refused(as_(team, ALICE).say("SCALE web 2 --cluster staging-eu"))  # same command, same decision


def test_glob_metacharacters_in_names_are_only_text(team: Chat) -> None:
    assert "is not a valid name" in team.say("get pods -n 'shop*' --cluster prod-eu")
    assert "is not a valid name" in team.say("get pods -n '[s]hop' --cluster prod-eu")
    assert "No cluster named `prod-*`" in team.say("scale web 2 --cluster 'prod-*'")
    assert refused(as_(team, "U0CAROL*", DEPLOY_PROD).say("scale web 2 --cluster prod-eu"))


def test_a_namespace_reached_through_all_namespaces() -> None:
    from tests.policies import from_yaml

    policy = from_yaml(
        """
        deny: [{name: no-payments, namespaces: [payments], reason: PCI scope}]
        """
    )
    c = chat(SimulatedCluster.demo(), policy=policy)
    assert refused(c.say("get pods -n payments"))
    for text in ("get pods -A", "get deploy -A", "get secrets -A", "get events -A", "get pods -A -l app"):
        reply = c.say(text)
        assert "payments" not in namespaces_shown(c) and namespaces_shown(c), text
        assert "1 namespace left out: the policy does not let you read it" in reply, text
    assert "left out" not in c.say("get pods -A -l app=web")  # nothing of payments matched: nothing to say
    status = c.say("status")
    assert "payments" not in status and "1 namespace left out" in status
    digest = c.say("digest now")
    assert "payments/" not in digest and "1 namespace left out" in digest
    assert "Pods in namespace `shop`" in c.say("get pods -n shop")  # the rest still works


def test_use_namespace_and_a_threads_topic_do_not_widen_anything(team: Chat) -> None:
    alice = as_(team, ALICE)
    assert "Your defaults" in alice.say("use namespace kube-system")
    assert refused(alice.say("get pods --cluster prod-eu"))  # the default is decided like a typed -n
    pipeline = team.pipeline
    # Carol's deploy in #deploy-prod starts a thread about `web` on prod-eu…
    first = Message(CAROL, DEPLOY_PROD, "deploy web ghcr.io/acme/web:2.1 --cluster prod-eu", thread="1.1")
    assert pipeline.handle(first).ok
    # …and Mallory, in that thread, may not borrow its topic.
    reply = pipeline.handle(Message(MALLORY, DEPLOY_PROD, "scale 0", thread="1.1"))
    assert refused(render(reply)) and "on `prod-eu`" in render(reply)


def test_a_yes_from_another_person_or_channel(team: Chat) -> None:
    assert "Destructive: scaling to 0 stops every pod." in team.say("scale web 0 --cluster staging-eu")
    assert "Nothing is waiting" in as_(team, MALLORY, DEPLOY_PROD).say("yes")
    assert "Nothing is waiting" in as_(team, CAROL, OPS).say("yes")
    assert "Scaled `web`" in team.say("yes")  # only her own, here


def test_images_outside_the_allowed_repositories_and_replicas_over_the_limit(team: Chat) -> None:
    prod = team.pipeline.clusters.get("prod-eu")
    views: list[object] = []
    original = prod.view

    def counting(*args: object, **kwargs: object) -> object:
        views.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    prod.view = counting  # type: ignore[method-assign]
    for text, why in (
        ("deploy web docker.io/evil/x:1 --cluster prod-eu", "image `docker.io/evil/x` is not one role"),
        ("deploy web nginx:1.27 --cluster prod-eu", "image `docker.io/library/nginx` is not one role"),
        ("scale web 21 --cluster prod-eu", "21 replicas is over the limit of role `prod-deployer` (at most 20)"),
    ):
        reply = team.say(text)
        assert refused(reply) and why in reply, reply
    assert views == []  # refused before any call to the cluster
    assert "ghcr.io/acme" not in team.say("get deploy web --cluster prod-eu")  # nothing changed


def test_what_needs_approval_waits_and_changes_nothing(team: Chat) -> None:
    reply = team.say("restart web --cluster prod-eu")
    assert "Approval request A-" in reply and "Needs:        1 approval from approvers (not the requester)" in reply
    # Destructive on prod (declared on the command's spec): two people; the requester's `yes` is no vote.
    assert "2 approvals from approvers, deployers" in team.say("scale web 0 --cluster prod-eu")
    assert "Nothing is waiting for your `yes` here." in team.say("yes")
    assert team.pipeline.clusters.get("prod-eu").get_deployment("shop", "web").desired == 3


def namespaces_shown(c: Chat) -> set[str]:
    """The NAMESPACE column of the last reply's tables."""
    return {row[0] for b in c.last.blocks if isinstance(b, Table) and b.columns[0] == "NAMESPACE" for row in b.rows}


def render(reply: object) -> str:
    from integrations.render.text import render as text

    return text(reply)  # type: ignore[arg-type]
