"""The Slack front door end to end: signed HTTP requests and Socket Mode envelopes into the real
app (waitress + Bolt + our listeners + the pipeline), replies recorded by the fake Slack Web API.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from bot.slack.listeners import BUSY, NOT_HERE
from bot.slack.run import SlackBot
from integrations.cluster.model import LogText
from integrations.cluster.simulated import SimulatedCluster
from tests.slack import signing, workspace
from tests.slack.running import BOT_TOKEN, SECRET, command, events_url, get, running, text_of
from tests.slack.signing import SlackSender
from tests.slack.web_api import Call, FakeSlackWebAPI

pytest_plugins = ["tests.slack.fixtures"]


@pytest.fixture
def bot(fake: FakeSlackWebAPI) -> Iterator[SlackBot]:
    with running(fake) as b:
        yield b


# --- HTTP mode ----------------------------------------------------------------------------------


def test_slash_command_is_acked_and_answered_in_block_kit(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    reply = command(bot, fake, "get pods -n shop")
    assert reply.args["response_type"] == "in_channel"
    assert reply.args["blocks"][0]["type"] == "header"
    assert "Pods in namespace shop on demo" in reply.args["blocks"][0]["text"]["text"]
    assert "CrashLoopBackOff" in text_of(reply) and "checkout-" in text_of(reply)
    assert fake.errors() == []


def test_mistakes_are_shown_only_to_the_person(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    reply = command(bot, fake, "gte pods")
    assert reply.args["response_type"] == "ephemeral"
    assert "Unknown command" in text_of(reply) and "get pods" in text_of(reply)


def test_smart_punctuation_from_slack_is_understood(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    reply = command(bot, fake, "get pods \u2014namespace \u201cpayments\u201d")
    assert "Pods in namespace payments" in text_of(reply)


def test_bad_or_stale_signatures_are_refused(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    body, content_type = signing.slash_command("/pilot", "get pods", response_url=fake.response_url())
    sender = SlackSender(events_url(bot), SECRET)
    assert sender.send(body, content_type, bad_signature=True).status == 401
    assert sender.send(body, content_type, timestamp=int(time.time()) - 6 * 60).status == 401
    time.sleep(0.3)
    assert fake.calls("response_url") == []


def test_url_verification(bot: SlackBot) -> None:
    body, content_type = signing.url_verification("challenge-123")
    answer = SlackSender(events_url(bot), SECRET).send(body, content_type)
    assert answer.status == 200 and b"challenge-123" in answer.body


def test_a_retried_event_runs_once(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    event = signing.app_mention(f"<@{workspace.BOT_USER_ID}> get deploy -n payments -o wide")
    body, content_type = signing.event_callback(event)
    sender = SlackSender(events_url(bot), SECRET)
    assert sender.send(body, content_type).status == 200
    assert sender.send(body, content_type, retry_num=1, retry_reason="http_timeout").status == 200
    assert sender.send(body, content_type, retry_num=2, retry_reason="http_timeout").status == 200
    posted = fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(fake.calls("chat.postMessage")) == 1
    assert posted[0].args["thread_ts"] == event["ts"]  # mentions are answered in a thread
    assert "worker" in text_of(posted[0])


def test_direct_messages_are_answered_and_bots_and_edits_ignored(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    sender = SlackSender(events_url(bot), SECRET)
    for event in (
        signing.bot_message("get pods"),
        signing.message_changed("get pods", previous_text="get pod"),
        signing.bot_message("get pods", channel="D0ALICEDM", channel_type="im"),
    ):
        assert sender.send(*signing.event_callback(event)).status == 200
    assert sender.send(*signing.event_callback(signing.message_im("whoami"))).status == 200
    posted = fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(fake.calls("chat.postMessage")) == 1
    assert posted[0].args["channel"] == "D0ALICEDM"
    # Names are looked up for display: the ID stays the key.
    assert 'U0ALICE01 (\\"alice\\")' in text_of(posted[0])


def test_names_are_looked_up_once_and_cached(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    command(bot, fake, "whoami")
    reply = command(bot, fake, "whoami")
    assert 'C0OPS0001 (\\"#ops\\")' in text_of(reply)
    assert len(fake.calls("users.info")) == 1
    assert len(fake.calls("conversations.info")) == 1


def test_unknown_and_stale_buttons(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    sender = SlackSender(events_url(bot), SECRET)
    url = fake.response_url()
    assert sender.send(*signing.block_actions("pilothouse:nothing", "x", response_url=url)).status == 200
    stale = fake.wait_for("response_url")[-1]
    assert stale.args["response_type"] == "ephemeral" and "no longer handled" in stale.args["text"]
    # Someone else's action_id: acknowledged, nothing said.
    assert sender.send(*signing.block_actions("other-app:click", "x", response_url=fake.response_url())).status == 200
    time.sleep(0.3)
    assert len(fake.calls("response_url")) == 1


def test_buttons_reach_their_registered_handler(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    pressed: list[Any] = []
    bot.interactions.on_button("pilothouse:demo:", lambda press: pressed.append(press))
    sender = SlackSender(events_url(bot), SECRET)
    assert sender.send(*signing.block_actions("pilothouse:demo:approve", "42", message_ts="1.2")).status == 200
    deadline = time.monotonic() + 5
    while not pressed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(p.action_id, p.value, p.user, p.message_ts) for p in pressed] == [
        ("pilothouse:demo:approve", "42", workspace.USER_ID, "1.2")
    ]


def test_reactions_are_routed_without_skin_tone(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    seen: list[Any] = []
    bot.interactions.on_reaction("+1", seen.append)
    event = signing.reaction_added(
        "+1::skin-tone-3", user="U0BOB", item_channel="C0OPS0001", item_ts="1.5", item_user="U0X"
    )
    body, content_type = signing.event_callback(event)
    sender = SlackSender(events_url(bot), SECRET)
    assert sender.send(body, content_type).status == 200
    assert sender.send(body, content_type, retry_num=1, retry_reason="timeout").status == 200
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert [(r.user, r.emoji, r.message_ts, r.added) for r in seen] == [("U0BOB", "+1", "1.5", True)]


def test_oversized_output_arrives_as_a_file(fake: FakeSlackWebAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def chatty(
        self: SimulatedCluster, namespace: str, pod: str, container: str, tail: int, previous: bool = False
    ) -> LogText:
        return LogText(tuple(f"2026-11-27T09:00:00Z INFO request {i} " + "x" * 100 for i in range(tail)))

    monkeypatch.setattr(SimulatedCluster, "pod_logs", chatty)
    with running(fake) as b:
        reply = command(b, fake, "logs deploy/web --tail 800")
    assert "attached" in text_of(reply)
    assert len(reply.args["blocks"]) <= 50
    upload = fake.wait_for("files.completeUploadExternal")
    assert upload and fake.uploads()[0].channel == workspace.CHANNEL_ID
    content = fake.uploads()[0].content.decode()
    assert content.count("INFO request") == 800
    assert fake.errors() == []


def test_a_429_is_waited_out(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    sender = SlackSender(events_url(bot), SECRET)
    assert (
        sender.send(*signing.event_callback(signing.app_mention(f"<@{workspace.BOT_USER_ID}> get nodes"))).status == 200
    )
    posted = fake.wait_for("chat.postMessage", timeout=10)
    limited = [c for c in fake.calls("chat.postMessage") if c.status == 429]
    assert len(limited) == 1
    assert posted[0].at - limited[0].at >= 1.0
    assert "node-2" in text_of(posted[0])
    assert get(bot, "/metrics")[0] == 200
    metrics = get(bot, "/metrics")[1]
    assert 'pilothouse_slack_api_retries_total{reason="ratelimited"} 1.0' in metrics


def test_when_saturated_people_are_told_to_retry(fake: FakeSlackWebAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    original = SimulatedCluster.table

    def slow(self: SimulatedCluster, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SimulatedCluster, "table", slow)
    with running(fake, workers=1, work_queue=0) as b:
        sender = SlackSender(events_url(b), SECRET)
        first, second = fake.response_url(), fake.response_url()
        assert sender.send(*signing.slash_command("/pilot", "get nodes", response_url=first)).status == 200
        time.sleep(0.3)
        assert sender.send(*signing.slash_command("/pilot", "get nodes", response_url=second)).status == 200
        busy = fake.wait_for("response_url", predicate=lambda c: c.token == second.rsplit("/", 1)[1])[0]
        release.set()
        done = fake.wait_for("response_url", predicate=lambda c: c.token == first.rsplit("/", 1)[1])[0]
    assert busy.args["response_type"] == "ephemeral"
    assert busy.args["text"].startswith(BUSY.split("(")[0].strip())
    assert "node-1" in text_of(done)


def test_channels_not_configured_are_answered_clearly(fake: FakeSlackWebAPI) -> None:
    with running(fake, slack_channels="C0ELSEWHERE") as b:
        reply = command(b, fake, "get pods")
        assert reply.args["text"] == NOT_HERE and reply.args["response_type"] == "ephemeral"
        mention = signing.app_mention(f"<@{workspace.BOT_USER_ID}> get pods")
        SlackSender(events_url(b), SECRET).send(*signing.event_callback(mention))
        ephemeral = fake.wait_for("chat.postEphemeral")[0]
        assert ephemeral.args["text"] == NOT_HERE
        # Direct messages always work.
        SlackSender(events_url(b), SECRET).send(*signing.event_callback(signing.message_im("get nodes")))
        assert "node-1" in text_of(fake.wait_for("chat.postMessage")[0])


def test_malformed_payloads_never_crash(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    sender = SlackSender(events_url(bot), SECRET)
    for body, content_type in (
        (b"not json at all", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (json.dumps({"type": "event_callback", "event": {"type": "app_mention"}}).encode(), "application/json"),
    ):
        assert sender.send(body, content_type).status in (200, 400, 404)
    assert get(bot, "/healthz") == (200, "ok\n")
    assert "Pods in namespace" in text_of(command(bot, fake, "get pods"))


def test_ops_endpoints(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    command(bot, fake, "get pods -n shop")
    command(bot, fake, "gte pods")
    assert get(bot, "/healthz") == (200, "ok\n")
    status, body = get(bot, "/readyz")
    assert status == 200 and json.loads(body) == {"ready": True, "checks": {"store": "ok"}}
    status, metrics = get(bot, "/metrics")
    assert status == 200
    assert 'pilothouse_commands_total{command="get pods",outcome="ok"} 1.0' in metrics
    assert 'pilothouse_commands_total{command="unparsed",outcome="invalid"} 1.0' in metrics
    assert 'pilothouse_acks_total{kind="command"} 2.0' in metrics
    assert "pilothouse_command_seconds_bucket" in metrics
    assert "pilothouse_work_in_flight" in metrics
    assert 'pilothouse_cluster_reachable{cluster="demo"} 1.0' in metrics


def test_tokens_never_reach_the_logs(fake: FakeSlackWebAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    with running(fake) as b:
        command(b, fake, "get pods")
        command(b, fake, "describe pod nope")
    assert BOT_TOKEN not in caplog.text and SECRET not in caplog.text


# --- Socket Mode ----------------------------------------------------------------------------------


def test_socket_mode_command_and_redelivered_event(fake: FakeSlackWebAPI) -> None:
    server = fake.socket_mode
    with running(fake, socket_mode=True) as b:
        url = fake.response_url()
        envelope = server.send("slash_commands", signing.slash_command_payload("/pilot", "get ns", response_url=url))
        assert server.wait_for_ack(envelope)["envelope_id"] == envelope
        reply = fake.wait_for("response_url")[0]
        assert "payments" in text_of(reply) and "kube-system" in text_of(reply)

        event = signing.event_callback_payload(signing.app_mention(f"<@{workspace.BOT_USER_ID}> status -n payments"))
        first = server.send("events_api", event)
        again = server.send("events_api", event, retry_attempt=1, retry_reason="timeout")
        server.wait_for_ack(first)
        server.wait_for_ack(again)
        posted = fake.wait_for("chat.postMessage")
        time.sleep(0.5)
        assert len(fake.calls("chat.postMessage")) == 1
        assert "Health of namespace `payments`" in text_of(posted[0]) and "2/2 fully available" in text_of(posted[0])
        # The ops endpoints are served in Socket Mode too; the events path is not.
        assert get(b, "/healthz") == (200, "ok\n")
        assert get(b, "/slack/events")[0] == 404


def test_the_manifest_asks_for_exactly_what_the_app_uses() -> None:
    root = Path(__file__).resolve().parent.parent / "slack"
    for name in ("manifest.yaml", "manifest-http.yaml"):
        manifest = yaml.safe_load((root / name).read_text())
        events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
        assert events == {"app_mention", "message.im", "reaction_added", "reaction_removed"}
        assert manifest["features"]["slash_commands"][0]["command"] == Settings().slack_command
        scopes = set(manifest["oauth_config"]["scopes"]["bot"])
        assert scopes == {
            "commands",
            "app_mentions:read",
            "im:history",
            "chat:write",
            "files:write",
            "reactions:read",
            "users:read",
            "channels:read",
            "groups:read",
        }
    assert yaml.safe_load((root / "manifest.yaml").read_text())["settings"]["socket_mode_enabled"] is True


# --- against the real control plane and a real Redis ----------------------------------------------


@pytest.fixture
def real(demo_control_plane: Any, redis_url: str) -> dict[str, Any]:
    """Settings for a bot on the seeded real control plane (admin context), sharing real Redis.
    Impersonation is off here: these tests are about Slack (tests/test_impersonation.py covers it)."""
    return {"kubeconfig": str(demo_control_plane.admin_kubeconfig), "redis_url": redis_url, "impersonate": "off"}


def test_real_cluster_over_http(fake: FakeSlackWebAPI, real: dict[str, Any]) -> None:
    with running(fake, **real) as b:
        reply = command(b, fake, "get pods -n shop")
        assert reply.args["response_type"] == "in_channel"
        assert "checkout-" in text_of(reply) and "CrashLoopBackOff" in text_of(reply)
        status, body = get(b, "/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"store": "ok"}


def test_real_cluster_over_socket_mode(fake: FakeSlackWebAPI, real: dict[str, Any]) -> None:
    with running(fake, socket_mode=True, **real):
        event = signing.event_callback_payload(signing.app_mention(f"<@{workspace.BOT_USER_ID}> status -n shop"))
        fake.socket_mode.wait_for_ack(fake.socket_mode.send("events_api", event))
        posted = fake.wait_for("chat.postMessage", timeout=10)[0]
        assert "CrashLoopBackOff" in text_of(posted) and "node-2" in text_of(posted)


def test_two_replicas_sharing_redis_answer_each_event_once(fake: FakeSlackWebAPI, real: dict[str, Any]) -> None:
    with running(fake, **real) as one, running(fake, **real) as two:
        event = signing.app_mention(f"<@{workspace.BOT_USER_ID}> get deploy -n payments -o wide")
        body, content_type = signing.event_callback(event)
        # Slack's retry lands on the other replica.
        assert SlackSender(events_url(one), SECRET).send(body, content_type).status == 200
        assert (
            SlackSender(events_url(two), SECRET)
            .send(body, content_type, retry_num=1, retry_reason="http_timeout")
            .status
            == 200
        )
        posted = fake.wait_for("chat.postMessage", timeout=10)
        time.sleep(0.5)
        assert len(fake.calls("chat.postMessage")) == 1
        assert "payments-api" in text_of(posted[0])


def test_the_contributor_recipe_answers_in_block_kit() -> None:
    """README: `python -m tests.slack try "get pods -n shop"` runs pilothouse with slack/example.env."""
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("PILOTHOUSE_")}
    result = subprocess.run(
        [sys.executable, "-m", "tests.slack", "try", "get pods -n shop"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout
    reply = json.loads(result.stdout.split("\n", 1)[1])
    assert reply["response_type"] == "in_channel"
    assert reply["blocks"][0]["type"] == "header"
    # The bot logs JSON lines, and never its tokens.
    line = json.loads(next(x for x in result.stderr.splitlines() if x.startswith("{")))
    assert line["message"].startswith("Pilothouse is connected to Slack (HTTP mode")
    assert "xoxb-example" not in result.stderr and "example-signing-secret" not in result.stderr


def test_log_lines_carry_the_request_id_of_the_reply(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.logs import JsonFormatter
    from integrations.cluster.simulated import SimulatedCluster as Simulated
    from tests.chat import chat

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    cluster = Simulated.demo()
    cluster.table = broken  # type: ignore[method-assign,assignment]
    c = chat(cluster)
    caplog.set_level(logging.ERROR)
    c.say("get nodes")
    record = next(r for r in caplog.records if r.name == "bot.pipeline")
    line = json.loads(JsonFormatter().format(record))
    # The formatter reads the id from the context of the request; here we check the record's.
    assert c.last.request_id is not None and c.last.request_id in line["message"]
    assert line["level"] == "error" and "RuntimeError: boom" in line["error"]


def test_unknown_ids_cost_one_lookup_not_one_per_message(fake_slack: FakeSlackWebAPI) -> None:
    # fake_slack has no users or channels seeded: every lookup fails with user_not_found.
    with running(fake_slack) as b:
        for _ in range(3):
            assert "Pods in namespace" in text_of(command(b, fake_slack, "get pods"))
    assert len(fake_slack.calls("users.info")) == 1
    assert len(fake_slack.calls("conversations.info")) == 1


# --- one message, edited in place -----------------------------------------------------------------


def test_live_message_updates_are_throttled_and_the_final_state_delivered(fake: FakeSlackWebAPI) -> None:
    from slack_sdk import WebClient

    from bot.slack.live import LiveMessage
    from integrations.render.blocks import SlackMessage

    live = LiveMessage(WebClient(token=BOT_TOKEN, base_url=fake.api_url), workspace.CHANNEL_ID, interval=0.4)
    started = time.monotonic()
    for i in range(20):
        live.show(SlackMessage(text=f"progress {i}/20", blocks=()))
        time.sleep(0.05)
    live.finish(SlackMessage(text="done: 20/20", blocks=()))
    elapsed = time.monotonic() - started
    posts, updates = fake.calls("chat.postMessage"), fake.calls("chat.update")
    assert len(posts) == 1 and posts[0].args["text"] == "progress 0/20"
    assert updates[-1].args["text"] == "done: 20/20" and updates[-1].args["ts"] == live.ts
    assert len(updates) <= elapsed / 0.4 + 1
    gaps = [b.at - a.at for a, b in zip([posts[0], *updates], updates, strict=False)]
    assert min(gaps) >= 0.35  # never two edits within the interval
    assert fake.message(workspace.CHANNEL_ID, live.ts or "")["text"] == "done: 20/20"  # type: ignore[index]


def test_a_slow_answer_is_announced_then_edited_into_place(
    fake: FakeSlackWebAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack.jobs

    monkeypatch.setattr(bot.slack.jobs, "SLOW_AFTER", 0.2)
    original = SimulatedCluster.table

    def slow(self: SimulatedCluster, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.8)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SimulatedCluster, "table", slow)
    with running(fake) as b:
        mention = signing.app_mention(f"<@{workspace.BOT_USER_ID}> get nodes")
        assert SlackSender(events_url(b), SECRET).send(*signing.event_callback(mention)).status == 200
        final = fake.wait_for("chat.update", timeout=10)[0]
    posted = fake.calls("chat.postMessage")
    assert len(posted) == 1 and "Working on `get nodes`" in posted[0].args["text"]
    assert posted[0].args["thread_ts"] == mention["ts"]
    assert final.args["ts"] == posted[0].args.get("ts") or final.args["ts"]
    assert "node-2" in text_of(final)
    assert fake.message(workspace.CHANNEL_ID, final.args["ts"])["text"].startswith("Nodes on")  # type: ignore[index]


def test_a_button_runs_its_command_as_the_person_who_clicked(bot: SlackBot, fake: FakeSlackWebAPI) -> None:
    status = command(bot, fake, "status -n shop")
    actions = next(b for b in status.args["blocks"] if b["type"] == "actions")
    describe = next(e for e in actions["elements"] if e["value"] == "describe deployment checkout -n shop")
    url = fake.response_url()
    press = signing.block_actions(describe["action_id"], describe["value"], user_id="U0CAROL", response_url=url)
    assert SlackSender(events_url(bot), SECRET).send(*press).status == 200
    reply = fake.wait_for("response_url", predicate=lambda c: c.token == url.rsplit("/", 1)[1])[0]
    assert "Deployment checkout" in text_of(reply) and "CrashLoopBackOff" in text_of(reply)


def test_jobs_use_processes_only_when_state_is_shared() -> None:
    assert Settings(kubeconfig="/k", redis_url="redis://r:6379/0").pipeline_processes == 4
    assert Settings(kubeconfig="/k").pipeline_processes == 0  # embedded store: one process
    assert Settings(redis_url="redis://r:6379/0").pipeline_processes == 0  # demo cluster lives in memory
    assert Settings(kubeconfig="/k", redis_url="redis://r:6379/0", work_processes=0).pipeline_processes == 0


def test_a_destructive_change_is_confirmed_with_the_button(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "roles:\n  writer: {commands: [read, write], cluster_wide: true}\n"
        f"bindings:\n  - {{name: alice-changes, subjects: [{workspace.USER_ID}], roles: [writer]}}\n"
    )
    with running(fake, policy_file=policy) as b:
        reply = command(b, fake, "scale web 0 -n shop")
        assert "waits for your `yes` (or its button), posted in this channel" in text_of(reply)
        # The question is a view of the request's record, posted where it can be edited.
        question = fake.wait_for("chat.postMessage", predicate=lambda c: "Confirm A-" in text_of(c))[0]
        assert "Destructive: scaling to 0 stops every pod." in text_of(question)
        actions = next(block for block in question.args["blocks"] if block["type"] == "actions")
        yes = next(e for e in actions["elements"] if e["value"].startswith("approve A-"))
        assert yes["confirm"]["title"]["text"] == "Change the cluster?"
        sender = SlackSender(events_url(b), SECRET)
        # Someone else's click does not confirm Alice's change.
        other = fake.response_url()
        sender.send(*signing.block_actions(yes["action_id"], yes["value"], user_id="U0MALLORY", response_url=other))
        refused = fake.wait_for("response_url", predicate=lambda c: c.token == other.rsplit("/", 1)[1])[0]
        assert f"only {workspace.USER_ID}, who asked, can confirm it" in text_of(refused)
        mine = fake.response_url()
        sender.send(*signing.block_actions(yes["action_id"], yes["value"], response_url=mine))

        # The question is edited to its end: no buttons left to press again.
        def ended(c: Call) -> bool:
            fields = [f.get("text") for x in c.args["blocks"] for f in x.get("fields", ())]
            return "Confirm A-" in text_of(c) and "*State*\ndone" in fields

        final = fake.wait_for("chat.update", predicate=ended)[0]
        assert not [x for x in final.args["blocks"] if x["type"] == "actions"]
        # The change is followed in a channel message the bot edits until the pods are gone.
        posted = fake.wait_for("chat.postMessage", predicate=lambda c: "is confirmed and was run as" in text_of(c))[0]
        assert "3 → 0" in text_of(posted)
        done = fake.wait_for("chat.update", predicate=lambda c: "Rolled out" in text_of(c))[0]
        assert done.args["channel"] == posted.args["channel"] and "0/0 available" in text_of(done)
        assert "0/0" in text_of(command(b, fake, "get deploy -n shop"))


def test_live_message_final_state_can_go_out_at_once(fake: FakeSlackWebAPI) -> None:
    from slack_sdk import WebClient

    from bot.slack.live import LiveMessage
    from integrations.render.blocks import SlackMessage

    live = LiveMessage(WebClient(token=BOT_TOKEN, base_url=fake.api_url), workspace.CHANNEL_ID, interval=5)
    live.show(SlackMessage(text="rolling out: 1/3", blocks=()))
    live.show(SlackMessage(text="rolling out: 2/3", blocks=()))  # held back by the interval
    started = time.monotonic()
    live.finish(SlackMessage(text="rolled out: 3/3", blocks=()), at_once=True)
    assert time.monotonic() - started < 1  # not the 5 s interval
    assert [c.args["text"] for c in fake.calls("chat.update")] == ["rolled out: 3/3"]


def test_real_rollout_is_followed_in_one_message_and_offers_a_rollback(
    fake: FakeSlackWebAPI, real: dict[str, Any], demo_control_plane: Any, namespace: str, tmp_path: Path
) -> None:
    from tests.cluster.objects import apply_objects
    from tests.manifests import deployment

    apply_objects(demo_control_plane.admin_api_client(), [deployment(namespace, "shop-web", replicas=2)])
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "roles:\n  writer: {commands: [read, write], cluster_wide: true}\n"
        f"bindings:\n  - {{name: alice-changes, subjects: [{workspace.USER_ID}], roles: [writer]}}\n"
    )
    with running(fake, policy_file=policy, **real) as b:
        sender = SlackSender(events_url(b), SECRET)
        event = signing.app_mention(f"<@{workspace.BOT_USER_ID}> deploy shop-web nginx:broken -n {namespace}")
        assert sender.send(*signing.event_callback(event)).status == 200
        failed = fake.wait_for("chat.update", predicate=lambda c: "Rollout failed" in text_of(c), timeout=60)[0]
        posted = fake.calls("chat.postMessage")
        assert len(posted) == 1 and posted[0].args["thread_ts"] == event["ts"]  # one message, edited in place
        assert "ImagePullBackOff" in text_of(failed) and "pod `shop-web-" in text_of(failed)
        actions = next(block for block in failed.args["blocks"] if block["type"] == "actions")
        rollback = next(e for e in actions["elements"] if e["value"].startswith("rollback shop-web"))
        assert rollback["confirm"]["title"]["text"] == "Change the cluster?"
        # The click runs the rollback, followed in the same thread until it is done.
        click = signing.block_actions(
            rollback["action_id"], rollback["value"], thread_ts=event["ts"], response_url=fake.response_url()
        )
        assert sender.send(*click).status == 200
        done = fake.wait_for("chat.update", predicate=lambda c: "Rolled out" in text_of(c), timeout=60)[0]
        assert "Rolling back `shop-web`" in text_of(done) and "nginx:broken → nginx:1" in text_of(done)
        again = fake.calls("chat.postMessage")[-1]
        assert again.args["thread_ts"] == event["ts"]  # in the deploy's thread


def test_a_digest_in_slack_is_a_short_summary_with_the_details_in_its_thread(
    bot: SlackBot, fake: FakeSlackWebAPI
) -> None:
    mention = signing.app_mention(f"<@{workspace.BOT_USER_ID}> digest now -n shop")
    assert SlackSender(events_url(bot), SECRET).send(*signing.event_callback(mention)).status == 200
    summary, details = fake.wait_for("chat.postMessage", count=2)[:2]
    assert "Digest of namespace `shop` on `demo`" in text_of(summary) and "Crash-looping pods" not in text_of(summary)
    assert "Crash-looping pods" in text_of(details) and "checkout-" in text_of(details)
    assert summary.args["thread_ts"] == details.args["thread_ts"] == mention["ts"]
    # A slash command's answer has no thread: the details follow it.
    command(bot, fake, "digest now -n shop")
    answer, more = fake.wait_for("response_url", count=2)[:2]
    assert "Digest of namespace" in text_of(answer) and "Crash-looping pods" in text_of(more)
