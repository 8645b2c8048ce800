"""A `Digest` as replies: a short summary, and the details that go in its thread. Pure."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.digest.model import Digest
from bot.handlers.findings import Category, pods_line
from bot.handlers.format import age, plural, where
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Reply, table

ROWS = 25  # per table; the rest is counted ("… and N more")

_LABELS: dict[Category, tuple[str, str]] = {
    "node-not-ready": ("node not ready", "nodes not ready"),
    "unavailable": ("Deployment below desired availability", "Deployments below desired availability"),
    "unavailable-workload": (
        "StatefulSet or DaemonSet below desired availability",
        "StatefulSets and DaemonSets below desired availability",
    ),
    "crash-loop": ("crash-looping pod", "crash-looping pods"),
    "pending": ("pending pod", "pending pods"),
    "failing": ("other failing pod", "other failing pods"),
    "failed-job": ("failed Job", "failed Jobs"),
}


def when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y, %H:%M %Z").strip()


def _counted(digest: Digest) -> str:
    counts = Counter(p.category for p in digest.problems)
    return ", ".join(f"{counts[c]} {_LABELS[c][0] if counts[c] == 1 else _LABELS[c][1]}" for c in _LABELS if counts[c])


def _change_line(digest: Digest) -> str | None:
    if digest.first:
        return None
    if not digest.new and not digest.resolved:
        return "No change since the last digest."
    return f"Since the last digest: {len(digest.new)} new, {len(digest.resolved)} resolved."


def _late(digest: Digest) -> list[Block]:
    notes: list[Block] = [Notice("info", f"Posted late (scheduled {digest.late}).")] if digest.late else []
    if digest.hidden:
        left = plural(digest.hidden, "namespace")
        notes.append(Notice("info", f"{left} left out: the policy does not let this place see them."))
    return notes


def _nodes(digest: Digest) -> str:
    down = [p.name for p in digest.problems if p.category == "node-not-ready"]
    return f"{digest.nodes_ready}/{digest.nodes_total} ready" + (f" ({', '.join(down)} not ready)" if down else "")


def summary(digest: Digest) -> Reply:
    place = where(digest.scope.namespace, digest.scope.cluster)
    changed = _change_line(digest)
    if digest.healthy:
        line = (
            f"{place}: healthy. {digest.nodes_ready}/{digest.nodes_total} nodes ready, "
            f"{pods_line(Counter(dict(digest.pods)))} pods, "
            f"{digest.deployments_available}/{digest.deployments_total} Deployments available."
        )
        if digest.resolved:
            line += f" {plural(len(digest.resolved), 'problem')} resolved since the last digest."
        return Reply((Notice("ok", f"Digest of {line}"), *_late(digest)))
    blocks: list[Block] = [
        Heading(f"Digest of {place}, {when(digest.at)}"),
        Fields(
            (
                ("Nodes", _nodes(digest)),
                ("Pods", pods_line(Counter(dict(digest.pods)))),
                ("Deployments", f"{digest.deployments_available}/{digest.deployments_total} fully available"),
            )
        ),
        Notice("warning", f"{plural(len(digest.problems), 'problem')}: {_counted(digest)}."),
    ]
    if changed:
        blocks.append(Paragraph(changed))
    return Reply((*blocks, *_late(digest)))


def details(digest: Digest) -> Reply:
    blocks: list[Block] = [Heading(f"Details: {where(digest.scope.namespace, digest.scope.cluster)}")]
    blocks += _problem_tables(digest)
    blocks += _restarters(digest)
    blocks += _warnings(digest)
    blocks += _changes(digest)
    blocks.append(Fields((("Pending approvals", _approvals(digest)),)))
    blocks += _since_last(digest)
    return Reply(tuple(blocks))


def _problem_tables(digest: Digest) -> list[Block]:
    by: dict[str, list[tuple[str, str]]] = {}
    wide = digest.scope.namespace is None
    for p in digest.problems:
        by.setdefault(p.category, []).append((p.object(cluster_wide=wide).split("/", 1)[1], p.text))
    blocks: list[Block] = []
    if rows := by.get("node-not-ready"):
        blocks += [Paragraph("Nodes not ready"), table(("NODE", "STATE"), rows, limit=ROWS)]
    if digest.crashing:
        rows3 = [(pod, str(restarts), last) for pod, restarts, last in digest.crashing]
        blocks += [
            Paragraph("Crash-looping pods"),
            table(("POD", "RESTARTS", "LAST TERMINATION"), rows3, limit=ROWS),
        ]
    if rows := by.get("pending"):
        blocks += [Paragraph("Pending pods"), table(("POD", "WHY"), rows, limit=ROWS)]
    if rows := by.get("failing"):
        blocks += [Paragraph("Other failing pods"), table(("POD", "STATE"), rows, limit=ROWS)]
    if rows := by.get("unavailable"):
        blocks += [
            Paragraph("Deployments below desired availability"),
            table(("DEPLOYMENT", "READY"), rows, limit=ROWS),
        ]
    workloads = [(p.object(cluster_wide=wide), p.text) for p in digest.problems if p.category == "unavailable-workload"]
    if workloads:
        blocks += [
            Paragraph("StatefulSets and DaemonSets below desired availability"),
            table(("WORKLOAD", "READY"), workloads, limit=ROWS),
        ]
    if rows := by.get("failed-job"):
        blocks += [Paragraph("Failed Jobs"), table(("JOB", "WHY"), rows, limit=ROWS)]
    return blocks


def _restarters(digest: Digest) -> list[Block]:
    if not digest.top_restarters:
        return [Fields((("Top restarters", "none: no container restarted"),))]
    rows = [(pod, str(restarts), status) for pod, restarts, status in digest.top_restarters]
    return [Paragraph("Top restarters"), table(("POD", "RESTARTS", "STATUS"), rows, limit=ROWS)]


def _period(digest: Digest) -> str:
    return f"since {when(digest.since)} ({age(digest.since, digest.at)} ago)"


def _warnings(digest: Digest) -> list[Block]:
    if not digest.warnings:
        return [Fields((("Warning events", f"none {_period(digest)}"),))]
    rows = [(reason, kind, str(count)) for reason, kind, count in digest.warnings]
    return [Paragraph(f"Warning events {_period(digest)}"), table(("REASON", "KIND", "COUNT"), rows, limit=ROWS)]


def _changes(digest: Digest) -> list[Block]:
    if not digest.changes:
        return [Fields((("Changes through Pilothouse", f"none {_period(digest)}"),))]
    rows = [(when(c.at), c.who, c.what, c.namespace or "-") for c in digest.changes]
    return [
        Paragraph(f"Changes through Pilothouse {_period(digest)}"),
        table(("WHEN", "WHO", "WHAT", "NAMESPACE"), rows, limit=ROWS),
    ]


def _approvals(digest: Digest) -> str:
    a = digest.approvals
    if a.pending and a.oldest is not None:
        oldest = a.oldest
        text = f"{a.pending} waiting; the oldest {oldest.id} (`{oldest.command}`) for {age(oldest.since, digest.at)}"
    else:
        text = "none waiting"
    if a.expired:
        text += f"; {a.expired} expired unanswered {_period(digest)}"
    return text


def _since_last(digest: Digest) -> list[Block]:
    if digest.first:
        return [Paragraph("First digest here: the next one will say what changed since this one.")]
    if not digest.new and not digest.resolved:
        return [Paragraph(f"No change since the last digest ({when(digest.since)}).")]
    blocks: list[Block] = [Paragraph(f"Since the last digest ({when(digest.since)})")]
    rows = [("new", s.object, s.text) for s in digest.new] + [("resolved", s.object, s.text) for s in digest.resolved]
    blocks.append(table(("", "OBJECT", "PROBLEM"), rows, limit=2 * ROWS))
    return blocks


def reply(digest: Digest) -> Reply:
    """The summary, with the details as its `details`: a thread under it in Slack, printed after it."""
    return Reply(summary(digest).blocks, details=details(digest).blocks)
