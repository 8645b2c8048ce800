"""Approval requests in Slack, end to end: the real Bolt app behind signed requests, the fake
Slack Web API recording what the bot posts and edits. A request posts its view (here, and in the
approvals channel); buttons and reactions vote as the person who clicked or reacted, decided by
the one `authorise`; every transition edits the posted views in place; the end is told in the
request's thread; the sweeper edits what time has decided."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import wiring
from bot.approvals.book import ApprovalBook
from bot.audit import AuditLog
from bot.settings import Settings
from bot.slack.run import SlackBot
from integrations.store.port import Store
from tests.cluster import rest
from tests.cluster.objects import apply_objects
from tests.manifests import deployment
from tests.slack import signing, workspace
from tests.slack.running import SECRET, command, events_url, running, text_of
from tests.slack.signing import SlackSender
from tests.slack.web_api import Call, FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

ALICE, BOB, CAROL, MALLORY = workspace.USER_ID, "U0BOB0001", "U0CAROL01", "U0MALLORY"
OPS, APPROVALS = workspace.CHANNEL_ID, "C0APPROVE1"
APPROVERS_GROUP = "S0APPROVER"


def policy(tmp_path: Path, *, approvers: str = f"{BOB}, {CAROL}", count: int = 1, expires: str = "1h") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "roles: {writer: {commands: [read, write], cluster_wide: true}}\n"
        f"bindings: [{{name: devs, subjects: [{ALICE}, {BOB}, {CAROL}, {MALLORY}], roles: [writer]}}]\n"
        "approvals:\n"
        f"  - {{name: reviewed, commands: [scale], approvers: [{approvers}], count: {count}, expires: {expires}}}\n"
    )
    return path


@pytest.fixture
def fake(fake: FakeSlackWebAPI) -> FakeSlackWebAPI:
    for user, name in ((BOB, "bob"), (CAROL, "carol"), (MALLORY, "mallory")):
        fake.add_user(user, name)
    fake.add_channel(APPROVALS, "approvals")
    return fake


class Request:
    """A request as Slack shows it: its message(s), and the people acting on them."""

    def __init__(self, bot: SlackBot, fake: FakeSlackWebAPI, reply: Call, book: ApprovalBook) -> None:
        self.bot, self.fake, self.reply, self.book = bot, fake, reply, book
        found = re.search(r"A-[0-9A-Z]{4}", text_of(reply))
        assert found is not None, text_of(reply)
        self.id = found.group()
        record = book.get(self.id)
        assert record is not None
        self.views = {p.channel: p.ts for p in record.posted}  # where the record says its views are
        message = fake.message(OPS, self.views[OPS])
        assert message is not None
        actions = next(b for b in message["blocks"] if b["type"] == "actions")
        self.buttons = {e["text"]["text"]: e for e in actions["elements"]}
        self.sender = SlackSender(events_url(bot), SECRET)

    def press(self, label: str, user: str, channel: str = OPS) -> str:
        """Press a button on the view in `channel`; the token of the click's response_url."""
        button = self.buttons[label]
        url = self.fake.response_url()
        press = signing.block_actions(
            button["action_id"],
            button["value"],
            user_id=user,
            channel_id=channel,
            message_ts=self.views[channel],
            response_url=url,
        )
        assert self.sender.send(*press).status == 200
        return url.rsplit("/", 1)[1]

    def click(self, label: str, user: str, channel: str = OPS) -> Call:
        """Press, and the answer to the click (via response_url: a vote that runs no rollout)."""
        token = self.press(label, user, channel)
        return self.fake.wait_for("response_url", predicate=lambda c: c.token == token, timeout=10)[0]

    def in_thread(self, channel: str = OPS) -> list[Call]:
        """What the bot said in the thread of the view in `channel`."""
        ts = self.views[channel]
        return [c for c in self.fake.calls("chat.postMessage") if c.args.get("thread_ts") == ts]

    def react(self, emoji: str, user: str, channel: str = OPS, *, removed: bool = False) -> None:
        event = (signing.reaction_removed if removed else signing.reaction_added)(
            emoji, user=user, item_channel=channel, item_ts=self.views[channel]
        )
        assert self.sender.send(*signing.event_callback(event)).status == 200

    def shown(self, channel: str = OPS) -> str:
        message = self.fake.message(channel, self.views[channel])
        assert message is not None
        return message["text"] + "\n" + str(message.get("blocks"))

    def buttons_shown(self, channel: str = OPS) -> list[str]:
        message = self.fake.message(channel, self.views[channel]) or {}
        actions = [b for b in message.get("blocks", []) if b["type"] == "actions"]
        return [e["text"]["text"] for b in actions for e in b["elements"]]

    def thread(self) -> list[Call]:
        """The lines telling how the request ended, in its thread (where it was asked)."""
        return [c for c in self.in_thread() if c.args["text"].startswith(":") and self.id + " is" in c.args["text"]]


def ask(
    bot: SlackBot, fake: FakeSlackWebAPI, text: str = "scale web 5 -n shop", *, store: Store | None = None
) -> Request:
    """Alice asks; `store`: the shared one, when jobs run in worker processes."""
    if store is None:
        assert bot.work is not None  # jobs in this process: its pipeline is the one that runs them
        store = bot.work.pipeline.store
    return Request(bot, fake, command(bot, fake, text), ApprovalBook(store))


def until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def runs(bot: SlackBot, command: str = "scale") -> int:
    """How many times the change itself ran, as the audit trail recorded it."""
    assert bot.work is not None
    records = bot.work.pipeline.audit.recent(200)
    return sum(1 for r in records if r.command == command and r.phase == "result" and r.outcome == "ok")


def test_a_request_is_posted_once_here_and_in_the_approvals_channel_and_a_click_runs_it_once(
    fake: FakeSlackWebAPI, tmp_path: Path
) -> None:
    with running(
        fake, policy_file=policy(tmp_path), approvals_channel=APPROVALS, slack_channels=f"{OPS},{APPROVALS}"
    ) as b:
        request = ask(b, fake)
        assert set(request.views) == {OPS, APPROVALS}
        # The reply does not repeat the view: it says where it is.
        said = text_of(request.reply)
        assert f"{request.id} is waiting for approval" in said and "posted in this channel and in #approvals" in said
        assert "actions" not in said
        assert request.buttons["Approve"]["confirm"]["title"]["text"] == "Change the cluster?"
        assert "Requested by" in request.shown() and "3 → 5" in request.shown(APPROVALS)

        request.press("Approve", BOB, channel=APPROVALS)
        # The click's answer, and the rollout it started, are followed under the view Bob clicked.
        answer = until(lambda: [c for c in request.in_thread(APPROVALS) if "was run as" in text_of(c)])
        assert len(answer) == 1 and "3 → 5" in text_of(answer[0])
        for channel in (OPS, APPROVALS):
            assert until(lambda channel=channel: "State*\\ndone" in request.shown(channel).replace("\n", "\\n")), (
                request.shown(channel)
            )
            assert request.buttons_shown(channel) == []
            assert f"approved by {BOB}" in request.shown(channel)
        line = until(request.thread)
        assert len(line) == 1
        assert line[0].args["text"].startswith(f":white_check_mark: <@{ALICE}>: {request.id} is done: `scale web 5")
        assert f"approved by <@{BOB}>" in line[0].args["text"]
        assert runs(b) == 1
        assert "5/5" in text_of(command(b, fake, "get deploy web -n shop"))
        assert fake.errors() == []


def test_a_button_and_a_reaction_at_the_same_moment_run_the_change_once(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=policy(tmp_path)) as b:
        request = ask(b, fake)
        clicking = threading.Thread(target=lambda: request.press("Approve", BOB))
        clicking.start()
        request.react("white_check_mark", CAROL)
        clicking.join()
        assert until(lambda: "State*\\ndone" in request.shown().replace("\n", "\\n"))
        record = request.book.get(request.id)
        assert record is not None and len(record.approvals) == 1  # the other vote came too late to count
        winner = record.approvals[0]
        # The loser is told why, alone: Carol ephemerally, Bob through his click's response_url.
        if winner.via == "button":
            told = until(lambda: [c for c in fake.calls("chat.postEphemeral") if c.args["user"] == CAROL])
        else:
            told = until(lambda: [c for c in fake.calls("response_url") if "can no longer be voted on" in text_of(c)])
        assert len(told) == 1 and "can no longer be voted on" in text_of(told[0])
        assert winner.user == (BOB if winner.via == "button" else CAROL)
        assert runs(b) == 1 and len(request.thread()) == 1


def test_a_non_approver_and_the_requester_are_refused_and_the_buttons_stay(
    fake: FakeSlackWebAPI, tmp_path: Path
) -> None:
    with running(fake, policy_file=policy(tmp_path)) as b:
        request = ask(b, fake)
        refused = request.click("Approve", MALLORY)
        assert refused.args["response_type"] == "ephemeral"
        assert f"only {BOB}, {CAROL} may vote on it" in text_of(refused)
        own = request.click("Approve", ALICE)
        assert own.args["response_type"] == "ephemeral" and "you asked for this change" in text_of(own)
        request.react("white_check_mark", MALLORY)
        told = fake.wait_for("chat.postEphemeral", predicate=lambda c: c.args["user"] == MALLORY)[0]
        assert told.args["channel"] == OPS and "may vote on it" in text_of(told)
        time.sleep(0.3)
        assert fake.calls("chat.update") == []  # nothing changed: nothing to edit
        assert request.buttons_shown() == ["Approve", "Deny", "Cancel request"]
        assert "0 of 1 approval: none yet" in request.shown()
        assert runs(b) == 0


def test_reactions_vote_and_taking_one_away_withdraws_the_vote(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=policy(tmp_path, count=2)) as b:
        request = ask(b, fake)
        request.react("white_check_mark", BOB)
        assert until(lambda: f"1 of 2 approvals: approved by {BOB}" in request.shown())
        assert "(reaction," in request.shown()
        request.react("white_check_mark", BOB, removed=True)
        assert until(lambda: "0 of 2 approvals: none yet" in request.shown())
        # A reaction on any other message is none of Pilothouse's business.
        other = signing.reaction_added("white_check_mark", user=BOB, item_channel=OPS, item_ts="1690000000.000001")
        assert request.sender.send(*signing.event_callback(other)).status == 200
        request.react("x", CAROL)
        assert until(lambda: "State*\\ndenied" in request.shown().replace("\n", "\\n"))
        line = until(request.thread)
        assert line[0].args["text"].startswith(f":no_entry: <@{ALICE}>: {request.id} is denied")
        assert f"denied by <@{CAROL}>" in line[0].args["text"]
        assert fake.calls("chat.postEphemeral") == [] and runs(b) == 0


def test_the_sweeper_edits_an_expired_request(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=policy(tmp_path, expires="2s"), approvals_sweep=0.2) as b:
        request = ask(b, fake)
        edited = fake.wait_for("chat.update", predicate=lambda c: "expired" in text_of(c), timeout=10)[0]
        assert edited.args["ts"] == request.views[OPS] and request.buttons_shown() == []
        line = until(request.thread)
        assert len(line) == 1 and f"{request.id} is expired" in line[0].args["text"]
        late = request.click("Approve", BOB)
        assert "expired" in text_of(late) and late.args["response_type"] == "ephemeral"
        time.sleep(0.5)  # later sweeps change nothing, and so say nothing
        assert len(request.thread()) == 1 and runs(b) == 0


def test_someone_removed_from_the_approvers_group_is_refused_once_the_cache_expires(
    fake: FakeSlackWebAPI, tmp_path: Path
) -> None:
    fake.add_usergroup(APPROVERS_GROUP, [BOB, CAROL])
    with running(fake, policy_file=policy(tmp_path, approvers=APPROVERS_GROUP, count=2), group_ttl=1) as b:
        first = ask(b, fake)
        assert "Counted your approval" in text_of(first.click("Approve", CAROL))
        fake.add_usergroup(APPROVERS_GROUP, [BOB])  # Carol leaves the group
        time.sleep(1.2)
        second = ask(b, fake, "scale checkout 2 -n shop")
        refused = second.click("Approve", CAROL)
        assert refused.args["response_type"] == "ephemeral"
        assert f"only {APPROVERS_GROUP} may vote on it" in text_of(refused)
        assert "0 of 2 approvals: none yet" in second.shown() and second.buttons_shown()[0] == "Approve"
        assert "Counted your approval" in text_of(second.click("Approve", BOB))


def test_across_worker_processes_sharing_redis_a_click_and_a_reaction_run_it_once(
    fake: FakeSlackWebAPI, tmp_path: Path, demo_control_plane: Any, redis_url: str, namespace: str
) -> None:
    """Jobs (clicks, reactions) run in 4 worker processes; the views are edited by whichever
    process made the change; the record in Redis is what they share."""
    apply_objects(demo_control_plane.admin_api_client(), [deployment(namespace, "web", replicas=2)])
    real = {"kubeconfig": str(demo_control_plane.admin_kubeconfig), "redis_url": redis_url, "impersonate": "off"}
    store = wiring.build_store(Settings(redis_url=redis_url))
    with running(fake, policy_file=policy(tmp_path), **real) as b:
        assert b.work is None  # the jobs' work runs in worker processes
        request = ask(b, fake, f"scale web 4 -n {namespace}", store=store)
        token = request.press("Approve", BOB)
        request.react("white_check_mark", CAROL)
        assert until(lambda: "State*\\ndone" in request.shown().replace("\n", "\\n"), timeout=30), request.shown()
        assert until(request.thread) and request.buttons_shown() == []
        runs = [
            r
            for r in AuditLog(store).recent(500)
            if r.command == "scale" and r.outcome == "ok" and r.args.get("approval") == request.id
        ]
        assert len(runs) == 1 and len(request.thread()) == 1

        def losers() -> list[Call]:  # the losing vote's answer, to its voter alone
            refused = [c for c in fake.calls("chat.postEphemeral") if c.args["user"] == CAROL]
            return refused + [c for c in fake.calls("response_url") if c.token == token]

        assert until(losers, timeout=20) and "can no longer be voted on" in text_of(losers()[0])
        time.sleep(0.5)
        assert len(losers()) == 1
        admin = demo_control_plane.admin_api_client()
        web = rest.request(admin, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")
        assert web["spec"]["replicas"] == 4 and "2 → 4" in request.shown()


def test_slack_refusing_to_post_changes_nothing_but_where_the_request_is_shown(
    fake: FakeSlackWebAPI, tmp_path: Path
) -> None:
    """Rate limited past slack_sdk's retries (each 429's Retry-After waited out): the request
    stands, and the requester's reply carries its view and buttons instead."""
    with running(fake, policy_file=policy(tmp_path)) as b:
        fake.rate_limit("chat.postMessage", times=4, retry_after=1)
        reply = command(b, fake, "scale web 5 -n shop")
        limited = [c for c in fake.calls("chat.postMessage") if c.status == 429]
        assert len(limited) == 4 and limited[-1].at - limited[0].at >= 3  # waited, then gave up
        assert "Approval request A-" in text_of(reply) and "Requested by" in text_of(reply)
        actions = next(block for block in reply.args["blocks"] if block["type"] == "actions")
        approve = next(e for e in actions["elements"] if e["text"]["text"] == "Approve")
        record = ApprovalBook(b.work.pipeline.store).get(approve["value"].split()[1])  # type: ignore[union-attr]
        assert record is not None and record.state == "pending" and record.posted == ()
        url = fake.response_url()
        click = signing.block_actions(approve["action_id"], approve["value"], user_id=BOB, response_url=url)
        assert SlackSender(events_url(b), SECRET).send(*click).status == 200
        assert until(lambda: runs(b) == 1)
        done = ApprovalBook(b.work.pipeline.store).get(record.id)  # type: ignore[union-attr]
        assert done is not None and done.state == "done" and done.approvals[0].via == "button"
