"""What the fuzz suite feeds Pilothouse, and the targets it feeds it to. Shared by the test
(tests/hardening/test_fuzz.py, a short run in CI) and the benchmark (bench/fuzz.py, 100,000+
cases with their figures).

Each target takes one generated input and raises only if Pilothouse is at fault: an exception
that is not ours, or an internal error reply. Inputs mix free text with the words, flags,
quotes and entities that reach the parser's and the listeners' less travelled paths.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from bot.audit import AuditRecord
from bot.message import Message
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.policy import Policy
from bot.slack import payloads
from bot.slack.endpoint import Malformed, parse_body
from bot.slack.interactions import Interactions
from bot.slack.listeners import FrontDoor
from bot.slack.text import command_text
from commands import default_registry
from commands.errors import PilothouseError
from commands.parser import parse
from integrations.cluster.clusters import Clusters
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.blocks import render_message
from integrations.render.text import render
from integrations.store.memory import MemoryStore

REGISTRY = default_registry()
WORDS = sorted({word for phrase in REGISTRY.phrases() for word in phrase.split()})
FLAGS = sorted({flag for spec in REGISTRY for param in spec.params for flag in param.flags})
VALUES = ["web", "api", "shop", "payments", "node-1", "nginx:1.27", "0", "5", "-1", "app=web", "yes", "no", "*"]
TRICKY = [
    '"', "'", "\u201c", "\u201d", "\u2014", "\u2013", "--", "-", "=", "(", ")", ",", "!", "\\", "`", "/", ":", "@",
    "\x00", "\u202e", "\ufeff", "\u00a0", "<@U0ALICE01>", "&lt;", "&amp;", "\n", "\t", "a" * 300, "9" * 60,
    "-" * 40, "." * 40, "é", "日本", "🚀", "sha256:" + "f" * 64,
]  # fmt: skip
TOKEN = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(FLAGS),
    st.sampled_from(VALUES),
    st.sampled_from(TRICKY),
    st.text(max_size=24),
)
PHRASES = sorted(REGISTRY.phrases())
OPTIONS = [
    "-n shop", "-n payments", "-A", "--tail 3", "-l app=web", "--reason 'fuzz'", "-c nginx", "--cluster demo",
    "-p", "--to-revision 1", '"0 9 * * 1-5"', "--tz Europe/Paris", "deploy/web", "web", "api", "checkout",
]  # fmt: skip
# Commands with sensible arguments, most of the time, so the handlers run and not just the parser.
COMMANDS = st.tuples(
    st.sampled_from(PHRASES), st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), TOKEN), max_size=4)
).map(lambda c: " ".join([c[0], *c[1]]))
CHAT_TEXT = st.one_of(
    st.text(max_size=300),
    COMMANDS,
    COMMANDS,
    COMMANDS,
    st.lists(TOKEN, max_size=14).map(" ".join),
    st.lists(TOKEN, max_size=14).map("".join),
)
ENTITY_PARTS = ["<", ">", "@", "#", "|", "!", "U0ALICE01", "C0OPS", "http:", "https://x.io", "mailto:a@b", "&lt;"]
SLACK_TEXT = st.lists(
    st.one_of(st.sampled_from(ENTITY_PARTS), st.sampled_from(TRICKY), st.text(max_size=8)), max_size=30
)
# A unit a hostile input repeats: the fuzz's search for super-linear shapes.
UNIT = st.lists(
    st.one_of(st.sampled_from(TRICKY[:22] + ENTITY_PARTS), st.text(min_size=1, max_size=3)), min_size=1, max_size=6
)

KEYS = [
    "type", "text", "user", "user_id", "channel", "channel_id", "response_url", "ts", "thread_ts", "event",
    "event_id", "channel_type", "subtype", "bot_id", "item", "reaction", "actions", "action_id", "value",
    "container", "message_ts", "message", "trigger_id", "id", "team_id", "payload", "command",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20), st.sampled_from(VALUES)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=6),
    ),
    max_leaves=20,
)
ID = st.one_of(st.sampled_from(["U0ALICE01", "C0OPS", "D0DM", "1.5", ""]), JSON_VALUES)
# Payloads near what Slack sends (so the listeners' deeper paths run), and far from it.
PLAUSIBLE = st.fixed_dictionaries(
    {"user_id": ID, "channel_id": ID, "response_url": st.sampled_from(["http://127.0.0.1:9/r", ""]), "text": CHAT_TEXT},
    optional={
        "event": st.fixed_dictionaries(
            {"type": st.sampled_from(["app_mention", "message", "reaction_added"]), "user": ID, "channel": ID},
            optional={
                "ts": ID,
                "thread_ts": ID,
                "text": CHAT_TEXT,
                "channel_type": st.sampled_from(["im", "channel", 5]),
                "reaction": st.sampled_from(["white_check_mark", "+1::skin-tone-2", ""]),
                "item": JSON_VALUES,
                "bot_id": ID,
                "subtype": ID,
            },
        ),
        "user": st.one_of(st.fixed_dictionaries({"id": ID}), JSON_VALUES),
        "channel": st.one_of(st.fixed_dictionaries({"id": ID}), JSON_VALUES),
        "actions": st.lists(
            st.fixed_dictionaries(
                {"action_id": st.sampled_from(["pilothouse:command:1", "pilothouse:vote:a", "other", ""])},
                optional={"value": CHAT_TEXT},
            ),
            max_size=2,
        ),
        "message": JSON_VALUES,
        "container": JSON_VALUES,
        "trigger_id": ID,
        "event_id": ID,
    },
)
PAYLOADS = st.one_of(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=10), PLAUSIBLE)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    PAYLOADS.map(lambda p: json.dumps(p).encode()),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "", "x; y"])


# --- targets ----------------------------------------------------------------------------------


def parse_target(text: str) -> None:
    with contextlib.suppress(PilothouseError):
        parse(text, REGISTRY, topic="web")


class _PipelineTarget:
    """The whole pipeline on the simulated demo cluster, as the shell's person who may do anything;
    a fresh cluster every `fresh_every` messages so what earlier ones did never piles up."""

    def __init__(self, fresh_every: int = 50) -> None:
        self.fresh_every = fresh_every
        self.count = 0
        self.pipeline: Pipeline | None = None
        self.records: list[AuditRecord] = []

    def __call__(self, text: str) -> None:
        if self.pipeline is None or self.count % self.fresh_every == 0:
            self.pipeline = Pipeline(
                registry=REGISTRY,
                policy=Policy.demo("alice", "demo"),
                clusters=Clusters([SimulatedCluster.demo("demo")], "demo"),
                store=MemoryStore(),
                observers=[self.records.append],
                budget=60,
            )
        self.count += 1
        self.records.clear()
        reply = self.pipeline.handle(Message("alice", "shell", text))
        render(reply)
        render_message(reply, title=text)
        outcome = self.records[-1].outcome
        if outcome in ("error", "timeout"):
            raise AssertionError(f"{text!r} ended in an internal {outcome}: {render(reply)}")


def pipeline_target() -> Callable[[str], None]:
    return _PipelineTarget()


def slack_text_target(parts: list[str]) -> None:
    text = "".join(parts)
    result = command_text(text)
    assert isinstance(result, str) and len(result) <= len(text)


def body_target(case: tuple[bytes, str]) -> None:
    body, content_type = case
    with contextlib.suppress(Malformed):
        payloads.problem(parse_body(content_type, body))


@dataclass
class _Inline:
    """A Worker that runs its work at once (the listeners' hand-offs, without threads)."""

    in_flight: int = 0

    def submit(self, work: Callable[..., Any], *args: Any, **_: Any) -> bool:
        work(*args)
        return True


class _Client:
    def chat_postEphemeral(self, **_: Any) -> None:
        pass


def _anything(*_: Any, **__: Any) -> None:
    pass


def listeners_target() -> Callable[[dict[str, Any]], None]:
    """Every listener of the Slack front door, given the same payload (as Socket Mode would hand
    over whatever Slack sent, with no door in front): none may raise."""
    interactions = Interactions()
    interactions.on_reaction("white_check_mark", _anything)
    interactions.on_button("pilothouse:vote:", _anything)
    jobs: list[Any] = []
    door = FrontDoor(
        run_job=lambda job: jobs.append(job) or True,
        jobs=_Inline(),  # type: ignore[arg-type]
        store=MemoryStore(),
        metrics=Metrics(),
        interactions=interactions,
        handlers=_Inline(),  # type: ignore[arg-type]
    )

    def run(body: dict[str, Any]) -> None:
        event = dict(payloads.obj(body, "event") or body)
        actions = body.get("actions")
        action = next((a for a in actions if isinstance(a, dict)), body) if isinstance(actions, list) else body
        quiet = logging.getLogger("bot.slack.listeners")
        quiet.disabled = True  # an incomplete payload is logged: thousands of lines here
        try:
            door.on_command(_anything, body, _anything)
            door.on_mention(body, event, _anything, _Client())  # type: ignore[arg-type]
            door.on_message(body, event, _anything)
            door.on_reaction(body, event)
            door.on_action(_anything, body, dict(action), _anything)
        finally:
            quiet.disabled = False
        for job in jobs:
            assert all(isinstance(v, str) for v in (job.user, job.channel, job.text)), job
        jobs.clear()

    return run
