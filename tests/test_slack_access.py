"""Who may do what, as Slack delivers it: teams (Slack Connect), display names, user groups and
their TTL, and the channel allow-list for every kind of interaction (typed commands, mentions,
buttons, reactions, a scheduled digest when it fires). The real app, the fake Slack."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import wiring
from bot.digest.schedules import ScheduleBook
from bot.digest.wiring import scheduled
from bot.settings import Settings
from commands.replies import Reply
from integrations.render.blocks import COMMAND_ACTION
from integrations.render.text import render
from tests.slack import signing, workspace
from tests.slack.running import BOT_TOKEN, SECRET, command, events_url, running, text_of
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]

ALICE, MALLORY, OUTSIDER = workspace.USER_ID, "U0MALLORY", "U0OUTSIDE"
OTHER_TEAM = "T0OTHERCO"
OPS = workspace.CHANNEL_ID


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


PAUSERS = """
roles: {pauser: {commands: [pause, resume, read]}}
bindings: [{name: ops-pausers, subjects: [%s], roles: [pauser]}]
defaults: {reads_for_everyone: false}
"""


@pytest.fixture
def fake(fake_slack: FakeSlackWebAPI) -> FakeSlackWebAPI:
    fake_slack.add_user(ALICE, workspace.USER_NAME)
    fake_slack.add_user(MALLORY, "alice")  # Mallory calls herself alice
    fake_slack.add_user(OUTSIDER, "partner", team=OTHER_TEAM)  # a Slack Connect user
    fake_slack.add_channel(OPS, workspace.CHANNEL_NAME)
    fake_slack.add_channel("C0ELSEWHERE", "random")
    return fake_slack


def until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_a_display_name_is_a_label_never_an_identity(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=policy_file(tmp_path, PAUSERS % ALICE)) as bot:
        denied = text_of(command(bot, fake, "pause web -n shop", user_id=MALLORY, user_name="alice"))
        assert "You may not run `pause`" in denied
        whoami = text_of(command(bot, fake, "whoami", user_id=MALLORY, user_name="alice"))
        assert 'U0MALLORY (\\"alice\\")' in whoami
        assert "Paused `web`" in text_of(command(bot, fake, "pause web -n shop"))


def test_people_of_another_team_are_external_and_get_nothing(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    everyone = (
        "roles: {all: {commands: ['*'], cluster_wide: true}}\n"
        "bindings: [{name: all, subjects: [everyone], roles: [all]}]\n"
    )
    with running(fake, policy_file=policy_file(tmp_path, everyone)) as bot:
        # A slash command carrying another team's ID, even from a user ID we know:
        claimed = text_of(command(bot, fake, "get pods -n shop", team_id=OTHER_TEAM))
        assert "You may not run `get pods`" in claimed and "not a member of this workspace" in claimed
        # A Slack Connect user, as users.info says (the payload states no team):
        assert "external-users" in text_of(command(bot, fake, "whoami", user_id=OUTSIDER, team_id=""))
        # A mention in a shared channel, `user_team` naming their own team:
        event = signing.app_mention(f"<@{workspace.BOT_USER_ID}> get pods -n shop", user_team=OTHER_TEAM)
        assert SlackSender(events_url(bot), SECRET).send(*signing.event_callback(event)).status == 200
        posted = fake.wait_for("chat.postMessage", timeout=10)[-1]
        assert "not a member of this workspace" in text_of(posted)
        assert "Pods in namespace" in text_of(command(bot, fake, "get pods -n shop"))  # ours still may


def test_external_people_get_what_bindings_to_external_grant(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    partners = (
        "roles: {peek: {commands: ['get pods']}}\nbindings: [{name: partners, subjects: [external], roles: [peek]}]\n"
    )
    with running(fake, policy_file=policy_file(tmp_path, partners)) as bot:
        assert "Pods in namespace" in text_of(command(bot, fake, "get pods -n shop", user_id=OUTSIDER, team_id=""))
        assert "You may not run" in text_of(command(bot, fake, "get events -n shop", user_id=OUTSIDER, team_id=""))


def test_user_group_members_lose_rights_when_the_cache_expires(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    fake.add_usergroup("S0OPSTEAM", [ALICE])
    with running(fake, policy_file=policy_file(tmp_path, PAUSERS % "S0OPSTEAM"), group_ttl=1) as bot:
        assert "Paused `web`" in text_of(command(bot, fake, "pause web -n shop"))
        fake.add_usergroup("S0OPSTEAM", [])  # Alice leaves the group
        assert "Resumed `web`" in text_of(command(bot, fake, "resume web -n shop"))  # cached, at most 1 s
        time.sleep(1.2)
        assert "You may not run `pause`" in text_of(command(bot, fake, "pause web -n shop"))
        assert len(fake.calls("usergroups.users.list")) == 2  # once per TTL, not once per message


def test_an_unknown_user_group_grants_nothing(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=policy_file(tmp_path, PAUSERS % "S0NOSUCH01")) as bot:
        assert "You may not run `pause`" in text_of(command(bot, fake, "pause web -n shop"))
        assert [c.error for c in fake.calls("usergroups.users.list")] == ["no_such_subteam"]  # fails closed


def test_buttons_and_reactions_respect_the_channel_allow_list(fake: FakeSlackWebAPI) -> None:
    with running(fake, slack_channels=OPS) as bot:
        sender = SlackSender(events_url(bot), SECRET)
        pressed: list[Any] = []
        bot.interactions.on_button("pilothouse:demo:", pressed.append)
        reacted: list[Any] = []
        bot.interactions.on_reaction("+1", reacted.append)
        for channel in ("C0ELSEWHERE", OPS):
            url = fake.response_url()
            click = signing.block_actions(
                f"{COMMAND_ACTION}0", "get pods -n shop", channel_id=channel, response_url=url
            )
            assert sender.send(*click).status == 200
            answer = fake.wait_for("response_url", predicate=lambda c, url=url: c.token == url.rsplit("/", 1)[1])[-1]
            assert ("not enabled in this channel" in text_of(answer)) is (channel != OPS)
            handled = signing.block_actions(
                "pilothouse:demo:x", "1", channel_id=channel, response_url=fake.response_url()
            )
            assert sender.send(*handled).status == 200
            reaction = signing.reaction_added("+1", item_channel=channel, item_ts="1.1")
            assert sender.send(*signing.event_callback(reaction)).status == 200
        assert until(lambda: pressed and reacted)
        time.sleep(0.3)
        assert [p.channel for p in pressed] == [OPS] and [r.channel for r in reacted] == [OPS]
        # Handlers get the person as the policy sees them.
        assert pressed[0].subject.id == ALICE and not pressed[0].subject.external


class Posted:
    def __init__(self) -> None:
        self.posts: list[tuple[str, Reply]] = []

    def post(self, channel: str, digest: Reply) -> None:
        self.posts.append((channel, digest))


def test_a_scheduled_digest_is_decided_again_when_it_fires(tmp_path: Path) -> None:
    """The channel's right to see the cluster when the digest fires, not when it was set."""
    path = policy_file(tmp_path, "defaults: {reads_for_everyone: false}\n")
    config = Settings(slack_bot_token=BOT_TOKEN, slack_channels=f"{OPS},C0CLOSED01", policy_file=path)
    app = wiring.build(config, user="nobody")
    book = ScheduleBook(app.store)
    now = datetime.now(UTC)
    here = book.add(channel=OPS, cron="0 9 * * *", tz="UTC", cluster="demo", namespace="shop", by="U0A", now=now)
    gone = book.add(channel="C0GONE0001", cron="0 9 * * *", tz="UTC", cluster="demo", namespace=None, by="U0A", now=now)
    poster = Posted()
    digests = scheduled(app, poster, "me")

    assert digests.fire(here.id, now)  # posted, saying why there is no digest
    assert "was not posted" in render(poster.posts[-1][1]) and "You may not run `digest now`" in render(
        poster.posts[-1][1]
    )
    assert not digests.fire(gone.id, now)  # a channel off the allow-list gets nothing at all
    assert [c for c, _ in poster.posts] == [OPS]

    path.write_text(
        "roles: {see: {commands: ['digest now']}}\n"
        f"bindings: [{{name: ops-digest, subjects: [{OPS}], roles: [see]}}]\n"
    )
    app.access.policy.reload("test")
    later = datetime.now(UTC)
    assert digests.fire(here.id, later)
    assert "Health" in render(poster.posts[-1][1]) or "Digest of namespace `shop`" in render(poster.posts[-1][1])
    record = app.audit.recent(1)[0]
    assert (record.user, record.command, record.rule, record.outcome) == (OPS, "digest now", "ops-digest", "ok")
    assert record.k8s_identity == "demo-admin (simulated)"  # scheduled digests read as Pilothouse itself
