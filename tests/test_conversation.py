"""Conversation state: a thread's topic fills in what a follow-up leaves out, and a command
that lacks arguments asks for them; kept in the store, so it survives a restart."""

from __future__ import annotations

import uuid
from pathlib import Path

from bot.message import Message
from bot.policy import Policy, Rule
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from integrations.store.port import Store
from integrations.store.redis_store import RedisStore
from tests.chat import Chat, chat
from tests.slack import signing, workspace
from tests.slack.signing import SlackSender
from tests.slack.web_api import FakeSlackWebAPI
from tests.test_slack import SECRET, command, events_url, running, text_of

pytest_plugins = ["tests.slack.fixtures"]

WRITERS = Policy([Rule(name="alice-changes", effect="allow", users=("alice", "bob"), access=("write",))])


def demo(store: Store | None = None, user: str = "alice") -> Chat:
    return chat(SimulatedCluster.demo(), policy=WRITERS, store=store or MemoryStore(), user=user)


def say(c: Chat, text: str, thread: str | None = None) -> str:
    reply = c.pipeline.handle(Message(c.user, c.channel, text, thread=thread))
    c.replies.append(reply)
    return render(reply)


def test_a_follow_up_inherits_the_deployment_it_is_about() -> None:
    c = demo()
    assert "Deploying `nginx:1.26` to `web`" in say(c, "deploy web nginx:1.26")
    text = say(c, "scale 5")
    assert text.startswith("Scaled `web` in namespace `shop` on `demo`") and "3 → 5" in text
    assert "Revisions of `web`" in say(c, "history") or "web" in say(c, "history")
    assert "Rolling back `web`" in say(c, "rollback")
    # A name given outright wins over the topic, and becomes the new topic.
    assert "Restarting `cart`" in say(c, "restart cart")
    assert "Scaled `cart`" in say(c, "scale 1")


def test_in_a_thread_the_topic_namespace_wins_over_personal_defaults() -> None:
    c = demo()
    say(c, "use namespace payments")
    say(c, "deploy web nginx:1.26 -n shop", thread="T1")
    assert "namespace `shop`" in say(c, "get pods", thread="T1")  # the thread is about shop/web
    assert "namespace `payments`" in say(c, "get pods")  # outside the thread, the person's default
    assert "namespace `shop`" in say(c, "scale 2", thread="T1")


def test_missing_arguments_are_asked_for_and_the_answer_completes_the_command() -> None:
    c = demo()
    asked = say(c, "deploy web")
    assert "`deploy` needs IMAGE." in asked and "Reply with `IMAGE` to run `deploy web IMAGE`" in asked
    assert "Deploying `nginx:1.26` to `web`" in say(c, "nginx:1.26")
    # Several missing: each answer fills what it can, then the rest is asked for.
    assert "`deploy` needs NAME and IMAGE." in say(c, "deploy")
    assert "`deploy` needs IMAGE." in say(c, "cart")
    assert "Deploying `nginx:1.27` to `cart`" in say(c, "nginx:1.27")
    # `no` drops the question; afterwards the same word is just an unknown command.
    say(c, "scale web")
    assert say(c, "no") == "· Dropped: `scale web` was not run."
    assert "Unknown command" in say(c, "4")


def test_only_the_person_asked_can_answer() -> None:
    store = MemoryStore()
    cluster = SimulatedCluster.demo()
    alice = chat(cluster, policy=WRITERS, store=store)
    bob = chat(cluster, policy=WRITERS, store=store, user="bob")
    say(alice, "scale web", thread="T9")
    assert "Unknown command" in say(bob, "0", thread="T9")
    assert "3 → 4" in say(alice, "4", thread="T9")


def test_bad_answers_get_the_commands_own_errors() -> None:
    c = demo()
    say(c, "scale web")
    assert "Invalid `REPLICAS`: `many` is not a whole number." in say(c, "many")
    say(c, "deploy web")
    assert "Invalid `IMAGE`" in say(c, "'nginx latest'")


def test_conversations_survive_a_restart_in_redis(redis_url: str) -> None:
    thread = uuid.uuid4().hex
    cluster = SimulatedCluster.demo()
    first = chat(cluster, policy=WRITERS, store=RedisStore(redis_url))
    say(first, "deploy web nginx:1.26", thread=thread)
    say(first, "scale", thread=thread)  # asks for REPLICAS
    restarted = chat(cluster, policy=WRITERS, store=RedisStore(redis_url))
    text = say(restarted, "4", thread=thread)
    assert text.startswith("Scaled `web`") and "3 → 4" in text


# --- through Slack ------------------------------------------------------------------------------------------


def _policy(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"rules:\n  - name: alice-changes\n    effect: allow\n    users: [{workspace.USER_ID}]\n    access: [write]\n"
    )
    return policy


def _mention(sender: SlackSender, text: str, thread: str | None = None) -> dict[str, object]:
    event = signing.app_mention(f"<@{workspace.BOT_USER_ID}> {text}")
    if thread:
        event["thread_ts"] = thread
    assert sender.send(*signing.event_callback(event)).status == 200
    return event


def test_slack_thread_of_a_deploy_carries_its_topic(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=_policy(tmp_path)) as b:
        sender = SlackSender(events_url(b), SECRET)
        root = _mention(sender, "deploy web nginx:1.26 -n shop")
        fake.wait_for("chat.update", predicate=lambda c: "Rolled out" in text_of(c))
        _mention(sender, "scale 4", thread=str(root["ts"]))
        scaled = fake.wait_for("chat.postMessage", predicate=lambda c: "Scaled" in text_of(c))[0]
        assert scaled.args["thread_ts"] == root["ts"] and "Scaled `web` in namespace `shop`" in text_of(scaled)


def test_slack_slash_deploy_message_starts_a_thread_with_its_topic(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=_policy(tmp_path)) as b:
        sender = SlackSender(events_url(b), SECRET)
        body, content_type = signing.slash_command("/pilot", "deploy cart nginx:1.26 -n shop")
        assert sender.send(body, content_type).status == 200
        done = fake.wait_for("chat.update", predicate=lambda c: "Rolled out" in text_of(c))[0]
        _mention(sender, "history", thread=str(done.args["ts"]))
        history = fake.wait_for(
            "chat.postMessage", predicate=lambda c: "nginx:1.26" in text_of(c) and "thread_ts" in c.args
        )
        assert history[0].args["thread_ts"] == done.args["ts"] and "cart" in text_of(history[0])
        # The rollout's own message was the answer: nothing went to the response_url.
        assert not fake.calls("response_url")
        assert "Rolled out" not in text_of(command(b, fake, "get deploy -n shop"))


def test_the_topic_never_turns_a_name_into_an_image() -> None:
    c = demo()
    say(c, "deploy web nginx:1.26", thread="T2")
    # `cart` could be a Deployment or an image called cart: ask rather than guess.
    assert "`deploy` needs IMAGE." in say(c, "deploy cart", thread="T2")
    assert "no" in say(c, "no", thread="T2").lower()
    # A tagged image cannot be a name: it is for the thread's Deployment.
    assert "Deploying `nginx:1.27` to `web`" in say(c, "deploy nginx:1.27", thread="T2")
    assert "Scaled `web`" in say(c, "scale -n shop 2", thread="T2")


def test_a_followed_rollout_does_not_hold_up_the_next_command(fake: FakeSlackWebAPI, tmp_path: Path) -> None:
    with running(fake, policy_file=_policy(tmp_path), workers=1) as b:  # one worker only
        sender = SlackSender(events_url(b), SECRET)
        _mention(sender, "deploy search nginx:1.26 -n shop")  # search's pods never schedule: followed for minutes
        fake.wait_for("chat.postMessage", predicate=lambda c: "Deploying `nginx:1.26` to `search`" in text_of(c))
        _mention(sender, "get deploy -n shop")
        listed = fake.wait_for("chat.postMessage", predicate=lambda c: "Deployments in namespace" in text_of(c))
        assert "search" in text_of(listed[0])
        assert not any("Rolled out" in text_of(c) for c in fake.calls("chat.update"))  # still being followed
    # Stopping the bot ends the following with an honest last edit.
    last = fake.wait_for("chat.update", predicate=lambda c: "Stopped following" in text_of(c), timeout=5)[0]
    assert "Pilothouse is restarting" in text_of(last) and "`status -n shop --cluster demo`" in text_of(last)
