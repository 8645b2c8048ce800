"""Slack Block Kit rendering: every block kind, escaping, splitting, and Slack's limits on any reply."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from commands.replies import Block, Fields, Heading, Notice, Paragraph, Preformatted, Reply, Table, error_reply
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.blocks import Attachment, SlackMessage, render_message
from integrations.render.text import render
from tests.chat import chat
from tests.policies import demo_admin

# Slack's limits, written out here rather than imported, so the tests check Slack's numbers.
BLOCKS, BLOCKS_JSON, SECTION, HEADER, FIELDS, FIELD, CONTEXT, FALLBACK = 50, 12_000, 3000, 150, 10, 2000, 10, 3000
ZWSP = "\u200b"


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_escaped(mrkdwn: str) -> None:
    """Every `&`, `<`, `>` is part of one of the three entities (so nothing raw reaches Slack)."""
    rest = re.sub(r"&(amp|lt|gt);", "", mrkdwn)
    assert not set(rest) & {"&", "<", ">"}, mrkdwn


def mrkdwn_texts(msg: SlackMessage) -> list[str]:
    texts = []
    for block in msg.blocks:
        if block["type"] == "section":
            texts += [block["text"]["text"]] if "text" in block else [f["text"] for f in block["fields"]]
        elif block["type"] == "context":
            texts += [e["text"] for e in block["elements"]]
    return texts


def code_sections(msg: SlackMessage) -> list[str]:
    return [
        b["text"]["text"]
        for b in msg.blocks
        if b["type"] == "section" and b.get("text", {}).get("text", "")[:3] == "```"
    ]


def code_lines(msg: SlackMessage) -> list[str]:
    """The lines inside every ``` block, in order, as they reach Slack (escaped)."""
    return [line for text in code_sections(msg) for line in text[4:-4].split("\n")]


def expected_code_lines(reply: Reply) -> list[str]:
    """What the code blocks should hold: the text renderer's table and log lines, escaped."""
    lines: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Table) and block.columns:
            lines += render(Reply((Table(block.columns, block.rows),))).split("\n")
        elif isinstance(block, Preformatted):
            lines += block.lines
    return [esc(line) for line in lines]


def assert_within_limits(msg: SlackMessage, reply: Reply) -> None:
    blocks = list(msg.blocks)
    assert msg.text.strip() and len(msg.text) <= FALLBACK
    assert_escaped(msg.text)
    assert len(blocks) <= BLOCKS
    assert len(json.dumps(blocks)) <= BLOCKS_JSON  # as slack_sdk sends them
    for block in blocks:
        assert block["type"] in {"header", "section", "context", "actions"}
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button" and 1 <= len(button["text"]["text"]) <= 75
                assert button["action_id"].startswith("pilothouse:command:") and len(button["value"]) <= 2000
        elif block["type"] == "header":
            text = block["text"]
            assert text["type"] == "plain_text" and text["emoji"] is True
            assert 1 <= len(text["text"]) <= HEADER and "`" not in text["text"]
        elif block["type"] == "section":
            assert ("text" in block) != ("fields" in block)
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn"
                assert block["text"]["text"].strip() and len(block["text"]["text"]) <= SECTION
            else:
                assert 1 <= len(block["fields"]) <= FIELDS
                assert all(f["type"] == "mrkdwn" and 1 <= len(f["text"]) <= FIELD for f in block["fields"])
        else:
            assert 1 <= len(block["elements"]) <= CONTEXT
            assert all(e["type"] == "mrkdwn" and e["text"].strip() for e in block["elements"])
    for text in mrkdwn_texts(msg):
        assert_escaped(text)
    for text in code_sections(msg):  # each code block opened and closed in its own section
        assert text.startswith("```\n") and text.endswith("\n```") and text.count("```") == 2
    if msg.attachment is not None:
        assert msg.attachment.content == render(reply)
        assert re.fullmatch(r"pilothouse[a-z0-9-]*\.txt", msg.attachment.filename)
        last = msg.blocks[-1]
        assert last["type"] == "context"
        assert "attached" in last["elements"][0]["text"] and msg.attachment.filename in last["elements"][0]["text"]


def assert_nothing_lost(msg: SlackMessage, reply: Reply) -> None:
    """Without an attachment every line is shown exactly once; with one, the blocks show a prefix."""
    shown = [line.replace(ZWSP, "") for line in code_lines(msg)]
    expected = expected_code_lines(reply)
    if msg.attachment is None:
        assert shown == expected
        flat = "".join("".join(t.split()) for t in mrkdwn_texts(msg))
        for block in reply.blocks:
            if isinstance(block, Paragraph | Notice):
                assert "".join(esc(block.text).split()) in flat
            if isinstance(block, Fields):
                for label, value in block.pairs:
                    assert "".join(esc(value).split()) in flat and "".join(esc(label).split()) in flat
    else:
        assert len(shown) <= len(expected)
        for got, want in zip(shown, expected, strict=False):
            assert got == want or (got.endswith("…") and want.startswith(got[:-1])), (got, want)
        assert msg.attachment.content == render(reply)  # every line of the reply, shown or not


def table(n: int, width: int = 40) -> Table:
    return Table(("NAME", "STATUS"), tuple((f"pod-{i:04d}", "x" * width) for i in range(n)))


# --- each kind of block ---------------------------------------------------------------------------


def test_heading_is_a_plain_text_header_without_backticks() -> None:
    msg = render_message(Reply((Heading("Pods in namespace `shop` on `demo`"),)))
    assert msg.blocks == (
        {"type": "header", "text": {"type": "plain_text", "text": "Pods in namespace shop on demo", "emoji": True}},
    )
    assert msg.attachment is None


def test_a_long_heading_is_cut_to_150_and_the_full_one_is_attached() -> None:
    heading = "Deployment " + "x" * 200
    msg = render_message(Reply((Heading(heading),)))
    header = msg.blocks[0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…") and header[:-1] == heading[:149]
    assert msg.attachment is not None and heading in msg.attachment.content
    assert_within_limits(msg, Reply((Heading(heading),)))


def test_paragraph_is_a_mrkdwn_section_keeping_inline_code() -> None:
    msg = render_message(Reply((Paragraph("`help COMMAND` explains one."),)))
    assert msg.blocks == ({"type": "section", "text": {"type": "mrkdwn", "text": "`help COMMAND` explains one."}},)


@pytest.mark.parametrize(
    ("level", "emoji"),
    [("ok", ":white_check_mark:"), ("info", ":information_source:"), ("warning", ":warning:"), ("error", ":x:")],
)
def test_notice_has_its_status_emoji(level: Any, emoji: str) -> None:
    msg = render_message(Reply((Notice(level, "5 problems need attention."),)))
    assert msg.blocks == (
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} 5 problems need attention."}},
    )


def test_fields_are_bold_labels_over_values() -> None:
    msg = render_message(Reply((Fields((("Namespace", "shop"), ("Replicas", "1 desired | 0 ready"))),)))
    assert msg.blocks == (
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Namespace*\nshop"},
                {"type": "mrkdwn", "text": "*Replicas*\n1 desired | 0 ready"},
            ],
        },
    )


def test_more_than_ten_fields_are_split_into_sections_in_order() -> None:
    pairs = tuple((f"Label {i}", f"value {i}") for i in range(23))
    msg = render_message(Reply((Fields(pairs),)))
    assert [len(b["fields"]) for b in msg.blocks] == [10, 10, 3]
    texts = [f["text"] for b in msg.blocks for f in b["fields"]]
    assert texts == [f"*Label {i}*\nvalue {i}" for i in range(23)]
    assert msg.attachment is None


def test_a_field_over_2000_chars_is_cut_and_the_reply_attached() -> None:
    reply = Reply((Fields((("Images", "a<b " * 1000),)),))
    msg = render_message(reply)
    field = msg.blocks[0]["fields"][0]["text"]
    assert len(field) <= 2000 and field.endswith("…")
    assert_escaped(field)  # the cut did not split an entity
    assert msg.attachment is not None and "a<b " * 1000 in msg.attachment.content
    assert "cut" in msg.blocks[-1]["elements"][0]["text"]
    assert_within_limits(msg, reply)


def test_table_is_a_code_block_aligned_like_the_text_renderer() -> None:
    t = Table(("NAME", "READY", "STATUS"), (("web-1", "1/1", "Running"), ("checkout-2", "0/1", "CrashLoopBackOff")))
    msg = render_message(Reply((t,)))
    assert msg.blocks == ({"type": "section", "text": {"type": "mrkdwn", "text": f"```\n{render(Reply((t,)))}\n```"}},)
    assert code_lines(msg) == [
        "NAME        READY  STATUS",
        "web-1       1/1    Running",
        "checkout-2  0/1    CrashLoopBackOff",
    ]


def test_omitted_rows_are_counted_in_a_context_line() -> None:
    msg = render_message(Reply((Table(("NAME",), (("a",), ("b",)), omitted=48),)))
    assert msg.blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "… and 48 more"}]}
    msg = render_message(Reply((Preformatted(("line",), omitted=7),)))
    assert msg.blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "… and 7 more lines"}]}


def test_preformatted_is_a_code_block_that_backticks_cannot_close() -> None:
    reply = Reply((Preformatted(("GET /index 200", "echo ```oops``` done")),))
    msg = render_message(reply)
    (text,) = code_sections(msg)
    assert text.count("```") == 2
    assert [line.replace(ZWSP, "") for line in code_lines(msg)] == ["GET /index 200", "echo ```oops``` done"]


def test_mrkdwn_and_code_are_escaped_once() -> None:
    reply = Reply(
        (
            Paragraph("a < b && c > d, already &amp; <!channel>"),
            Notice("error", "pod `<none>` & friends"),
            Fields((("A&B", "<x>"),)),
            Table(("NODE",), (("<none>",), ("a&b",))),
            Preformatted(("<html>&nbsp;</html>",)),
        )
    )
    msg = render_message(reply)
    texts = mrkdwn_texts(msg)
    assert texts[0] == "a &lt; b &amp;&amp; c &gt; d, already &amp;amp; &lt;!channel&gt;"
    assert texts[1] == ":x: pod `&lt;none&gt;` &amp; friends"
    assert texts[2] == "*A&amp;B*\n&lt;x&gt;"
    assert code_lines(msg) == ["NODE", "&lt;none&gt;", "a&amp;b", "&lt;html&gt;&amp;nbsp;&lt;/html&gt;"]
    assert msg.text == ":x: pod `&lt;none&gt;` &amp; friends"[4:]  # the notice, escaped, without the emoji
    assert_within_limits(msg, reply)


def test_a_long_paragraph_is_split_into_sections_at_line_breaks() -> None:
    lines = [f"line {i}: " + "y" * 90 for i in range(80)]  # ~8,000 characters
    reply = Reply((Paragraph("\n".join(lines)),))
    msg = render_message(reply)
    assert len(msg.blocks) == 3 and msg.attachment is None
    assert "\n".join(b["text"]["text"] for b in msg.blocks).split("\n") == lines
    assert_within_limits(msg, reply)


# --- splitting and overflow -----------------------------------------------------------------------


def test_a_long_table_is_split_into_closed_code_blocks_each_row_once() -> None:
    reply = Reply((Heading("Pods"), table(150)))  # ~7,500 characters of rows: fits the message, not a section
    msg = render_message(reply)
    sections = code_sections(msg)
    assert len(sections) >= 3 and all(len(s) <= 3000 for s in sections)
    assert code_lines(msg) == expected_code_lines(reply)  # every row exactly once, in order
    assert msg.attachment is None
    assert_within_limits(msg, reply)


def test_a_600_row_table_shows_what_fits_and_attaches_everything() -> None:
    reply = Reply((Heading("Pods in all namespaces on `demo`"), table(600), Notice("ok", "done")))
    msg = render_message(reply, title="get pods -A")
    assert len(msg.blocks) <= 50 and len(json.dumps(list(msg.blocks))) <= 12_000
    assert msg.blocks[0]["type"] == "header"
    assert len(json.dumps(list(msg.blocks))) > 11_000  # the room is used, not left empty
    assert msg.attachment == Attachment(
        filename="pilothouse-get-pods-a.txt", title="get pods -A", content=render(reply)
    )
    for i in range(600):
        assert f"pod-{i:04d}" in msg.attachment.content
    shown = code_lines(msg)
    assert shown == expected_code_lines(reply)[: len(shown)] and 100 < len(shown) < 600
    assert msg.blocks[-1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": ":page_facing_up: Too long for one Slack message, only the start is shown. "
                "The full output (603 lines) is attached as `pilothouse-get-pods-a.txt`.",
            }
        ],
    }
    assert msg.text == "Pods in all namespaces on `demo`"
    assert_within_limits(msg, reply)
    assert_nothing_lost(msg, reply)


def test_more_than_50_blocks_are_cut_to_50_with_the_note_last() -> None:
    reply = Reply(tuple(Paragraph(f"paragraph {i}") for i in range(80)))
    msg = render_message(reply)
    assert len(msg.blocks) == 50
    assert [b["text"]["text"] for b in msg.blocks[:49]] == [f"paragraph {i}" for i in range(49)]
    assert msg.attachment is not None and "paragraph 79" in msg.attachment.content
    assert msg.attachment.filename == "pilothouse-output.txt"
    assert_within_limits(msg, reply)


def test_filename_comes_from_the_title_else_the_heading() -> None:
    reply = Reply((Heading("Last 200 lines of `shop/web` (nginx)"), Preformatted(tuple("z" * 100 for _ in range(200)))))
    assert render_message(reply).attachment == Attachment(
        "pilothouse-last-200-lines-of-shop-web-nginx.txt", "Last 200 lines of shop/web (nginx)", render(reply)
    )
    attachment = render_message(reply, title="logs deploy/web --tail 200").attachment
    assert attachment is not None and attachment.filename == "pilothouse-logs-deploy-web-tail-200.txt"


# --- fallback text and errors ---------------------------------------------------------------------


def test_fallback_text_is_the_first_heading_or_notice_else_the_plain_text() -> None:
    assert render_message(Reply((Paragraph("p"), Heading("H"), Notice("ok", "N")))).text == "H"
    assert render_message(Reply((Paragraph("p"), Notice("warning", "N & <M>")))).text == "N &amp; &lt;M&gt;"
    assert render_message(Reply((Table(("A", "B"), (("1", "2"),)),))).text == "A  B\n1  2"
    assert render_message(Reply(())).text.strip()
    assert render_message(Reply((Paragraph(""), Heading("  ")))).text.strip()
    long = render_message(Reply((Preformatted(tuple("w" * 99 for _ in range(100))),))).text
    assert long.startswith("w" * 99 + "\n") and len(long) <= 3000


def test_an_error_reply_carries_its_reference() -> None:
    reply = error_reply("pod `nope` not found.", hint="Similar names: `nop`.", request_id="b04b10d660e5")
    msg = render_message(reply)
    assert msg.blocks == (
        {"type": "section", "text": {"type": "mrkdwn", "text": ":x: pod `nope` not found."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Similar names: `nop`."}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "reference: `b04b10d660e5`"}]},
    )
    assert msg.text == "pod `nope` not found." and msg.attachment is None
    assert not any(b["type"] == "context" for b in render_message(Reply(reply.blocks, request_id="x")).blocks)


def test_an_overflowing_error_keeps_its_reference_in_the_last_block() -> None:
    reply = Reply((Notice("error", "too much"), table(600)), ok=False, request_id="abc123")
    msg = render_message(reply)
    assert msg.attachment is not None
    assert msg.blocks[-1]["elements"][1] == {"type": "mrkdwn", "text": "reference: `abc123`"}
    assert_within_limits(msg, reply)


def test_rendering_is_deterministic() -> None:
    reply = Reply((Heading("h"), table(600), Fields((("a", "b"),))))
    assert render_message(reply, title="t") == render_message(reply, title="t")


# --- any reply ------------------------------------------------------------------------------------

ALPHABET = "abcdefghij klmnop-_/:.0123456789 &<>`*é…日"


def random_text(rng: random.Random, sizes: tuple[int, ...] = (0, 1, 8, 30, 120)) -> str:
    size = rng.choice(sizes)
    text = "".join(rng.choices(ALPHABET, k=min(size, 97)))
    text = (text * (size // 97 + 1))[:size]  # long texts repeat a random start: as hard to render, cheaper to make
    return text.replace("```", "```x") if rng.random() < 0.5 else text


def random_block(rng: random.Random) -> Block:
    kind = rng.choice(["heading", "paragraph", "notice", "fields", "table", "table", "pre"])
    if kind == "heading":
        return Heading(random_text(rng, (0, 10, 60, 149, 150, 151, 300)))
    if kind == "paragraph":
        lines = [random_text(rng, (0, 20, 200, 2000, 3500)) for _ in range(rng.choice((1, 2, 4, 20)))]
        return Paragraph("\n".join(lines))
    if kind == "notice":
        return Notice(rng.choice(["ok", "info", "warning", "error"]), random_text(rng, (5, 100, 3100)))
    if kind == "fields":
        n = rng.choice((0, 1, 3, 10, 11, 25))
        return Fields(tuple((random_text(rng, (0, 5, 20)), random_text(rng, (0, 10, 200, 2100))) for _ in range(n)))
    if kind == "table":
        width = rng.randint(1, 6)
        n = rng.choice((0, 1, 5, 40, 200, 700))
        cell = (0, 3, 12, 30) if rng.random() < 0.9 else (0, 3, 3500)
        rows = tuple(tuple(random_text(rng, cell) for _ in range(width)) for _ in range(n))
        return Table(tuple(random_text(rng, (1, 6)) for _ in range(width)), rows, omitted=rng.choice((0, 0, 3)))
    log = tuple(random_text(rng, (0, 40, 150, 3100)) for _ in range(rng.choice((0, 1, 20, 300))))
    return Preformatted(log, omitted=rng.choice((0, 0, 12)))


def test_any_reply_fits_slack_and_loses_nothing() -> None:
    rng = random.Random(20261127)
    attached = 0
    for _ in range(250):
        reply = Reply(
            tuple(random_block(rng) for _ in range(rng.choice((0, 1, 3, 8, 30)))),
            ok=rng.random() < 0.7,
            request_id=rng.choice((None, "0123456789ab")),
        )
        msg = render_message(reply, title=rng.choice((None, "get pods -A", "")))
        assert_within_limits(msg, reply)
        assert_nothing_lost(msg, reply)
        if not reply.ok and reply.request_id:
            assert "reference: `0123456789ab`" in [e["text"] for e in msg.blocks[-1]["elements"]]
        attached += msg.attachment is not None
    assert 25 < attached < 225  # both paths were exercised


# --- the demo -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["help", "get pods -A", "status", "describe deployment checkout", "logs deploy/web --tail 200"]
)
def test_demo_replies_render_within_limits(command: str) -> None:
    c = chat(SimulatedCluster.demo(), policy=demo_admin("alice"))
    c.say(command)
    assert c.last.ok
    msg = render_message(c.last, title=command)
    assert_within_limits(msg, c.last)
    assert_nothing_lost(msg, c.last)
    assert msg.blocks[0]["type"] == "header"


def test_buttons_run_commands_and_changes_ask_for_confirmation() -> None:
    from commands.replies import Actions, Button

    reply = Reply(
        (
            Actions(
                (
                    Button("Describe web", "describe deployment web -n shop"),
                    Button("Roll back web", "rollback web -n shop", changes_cluster=True, style="danger"),
                )
            ),
        )
    )
    (block,) = render_message(reply).blocks
    assert block["type"] == "actions"
    look, change = block["elements"]
    assert look["action_id"] == "pilothouse:command:0" and look["value"] == "describe deployment web -n shop"
    assert "confirm" not in look
    assert change["style"] == "danger"
    assert change["confirm"]["title"]["text"] == "Change the cluster?"
    assert change["confirm"]["text"]["text"] == "This runs `rollback web -n shop`."
    assert len({e["action_id"] for e in block["elements"]}) == 2


def test_more_than_25_buttons_take_several_actions_blocks() -> None:
    from commands.replies import Actions, Button

    reply = Reply((Actions(tuple(Button(f"b{i}", f"describe pod p{i}") for i in range(30))),))
    blocks = render_message(reply).blocks
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    assert len({e["action_id"] for b in blocks for e in b["elements"]}) == 30


def test_buttons_survive_when_the_rest_is_cut() -> None:
    from commands.replies import Actions, Button

    rollback = Button("Roll back web", "rollback web -n shop", changes_cluster=True, style="danger")
    reply = Reply((Heading("Rollout failed"), table(600), Actions((rollback, Button("Status", "status -n shop")))))
    msg = render_message(reply, title="deploy web nginx:broken")
    assert len(msg.blocks) <= 50 and len(json.dumps(list(msg.blocks))) <= 12_000
    assert msg.blocks[-2]["type"] == "actions" and msg.blocks[-1]["type"] == "context"  # buttons, then the note
    values = [e["value"] for e in msg.blocks[-2]["elements"]]
    assert values == ["rollback web -n shop", "status -n shop"]
    assert msg.attachment is not None


def test_a_button_may_ask_its_own_question_first() -> None:
    from commands.replies import Actions, Button

    reply = Reply((Actions((Button("Deny", "deny A-7K2Q", style="danger", confirm="Deny this request?"),)),))
    (block,) = render_message(reply).blocks
    (deny,) = block["elements"]
    assert deny["confirm"]["title"]["text"] == "Deny this request?"
    assert deny["confirm"]["text"]["text"] == "This runs `deny A-7K2Q`."
