"""Output is bounded too: `logs` asks the API server for a byte limit as well as a line count,
cuts overlong lines and says what was cut; every reply has a size ceiling before rendering."""

from __future__ import annotations

import pytest

from commands.limits import LOG_BYTES, LOG_LINE_CHARS, REPLY_CHARS
from commands.replies import Actions, Button, Heading, Notice, Preformatted, Reply, Table, bounded
from integrations.cluster.model import log_text
from integrations.render.text import render
from tests.chat import chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.pods import cluster_from, make_pods


def test_log_text_cuts_long_lines_and_stops_at_the_byte_limit() -> None:
    written = log_text(b"short\n" + b"x" * (LOG_LINE_CHARS + 5) + b"\nend\n")
    assert written.lines[0] == "short" and written.lines[2] == "end"
    assert written.lines[1] == "x" * LOG_LINE_CHARS + " … (5 more characters)"
    assert (written.cut_lines, written.truncated) == (1, False)
    flood = log_text(b"y" * (LOG_BYTES + 1))
    assert flood.truncated and len(flood.lines) == 1 and flood.cut_lines == 1


@pytest.mark.cluster
def test_one_huge_log_line_costs_a_bounded_read(control_plane: ControlPlane, namespace: str) -> None:
    make_pods(control_plane, namespace, 1, app="flood")
    admin = cluster_from(control_plane.admin_kubeconfig)
    pod = admin.list_pods(namespace)[0].name
    huge = "x" * (8 * 1024 * 1024)  # a container that writes one 8 MB line
    with control_plane.kubelet.writing("c", ["starting", huge, "done"]):
        written = admin.pod_logs(namespace, pod, "c", 100)
        text = chat(admin).say(f"logs {pod} -n {namespace} --tail 100")
    asked = control_plane.kubelet.log_queries[-1]
    assert asked["tailLines"] == ["100"] and asked["limitBytes"] == [str(LOG_BYTES + 1)]
    assert written.truncated and written.cut_lines == 1 and written.lines[0] == "starting"
    assert f"Cut at {LOG_BYTES // 1024:,} KiB" in text and "Ask for fewer with `--tail`" in text
    assert f"1 line longer than {LOG_LINE_CHARS:,} characters cut" in text
    assert len(text) < LOG_LINE_CHARS + 2_000


def test_a_reply_over_the_ceiling_is_cut_saying_so_and_keeps_its_buttons() -> None:
    rows = tuple((f"pod-{i}", "x" * 100) for i in range(5_000))
    reply = Reply(
        (
            Heading("Pods"),
            Table(("NAME", "NOTE"), rows),
            Preformatted(("a",) * 10),
            Actions((Button("Roll back", "rollback web", changes_cluster=True),)),
        )
    )
    cut = bounded(reply)
    table = cut.blocks[1]
    assert isinstance(table, Table) and 0 < len(table.rows) < len(rows)
    assert table.omitted == len(rows) - len(table.rows)
    assert cut.blocks[2] == Notice("warning", f"The reply was cut here: it was over {REPLY_CHARS:,} characters.")
    assert isinstance(cut.blocks[-1], Actions)  # the rollback button survives the cut
    assert len(render(cut)) < REPLY_CHARS * 1.2
    small = Reply((Heading("ok"),))
    assert bounded(small) is small
