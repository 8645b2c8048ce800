"""How a followed rollout looks in chat: a progress bar while it runs, then how it ended."""

from __future__ import annotations

from commands.replies import Actions, Block, Button, Follow, Notice, Paragraph, Reply
from integrations.cluster.progress import RolloutState

BAR_WIDTH = 10


def bar(done: int, total: int) -> str:
    filled = BAR_WIDTH if total <= 0 else round(BAR_WIDTH * min(done, total) / total)
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def job_line(state: RolloutState) -> str:
    failed = state.updated - state.ready
    running = max(0, state.total - state.updated)
    counts = f"{state.ready}/{state.desired} succeeded · {failed} failed · {running} running"
    return f"{bar(state.ready, state.desired)} {counts} · {_secs(state.elapsed)}"


def line(state: RolloutState) -> str:
    """One line of progress, like kubectl rollout status prints it."""
    d = state.desired
    updated = (
        f"{state.updated}/{state.target} updated (partition)"
        if state.target is not None
        else f"{state.updated}/{d} updated"
    )
    counts = f"{updated} · {state.ready}/{d} ready · {state.available}/{d} available"
    old = state.total - state.updated
    extra = f" · {old} old pod{'s' if old != 1 else ''} left" if old > 0 else ""
    return (
        f"{bar(state.available if state.updated >= d else state.updated, d)} {counts}{extra} · {_secs(state.elapsed)}"
    )


def blocks(follow: Follow, state: RolloutState) -> tuple[Block, ...]:
    """Where the rollout stands: the bar, and at the end what happened and what to do next."""
    where = f"-n {follow.namespace} --cluster {follow.cluster}"
    if follow.resource == "jobs":
        return _job_blocks(follow, state, where)
    progress = Paragraph(f"`{line(state)}`")
    if state.phase == "complete":
        return (
            progress,
            Notice("ok", f"Rolled out in {_secs(state.elapsed)}: {state.available}/{state.desired} available."),
        )
    if state.phase == "failed":
        found: list[Block] = [
            progress,
            Notice("error", f"Rollout failed after {_secs(state.elapsed)}: {state.reason}."),
        ]
        more = [f.describe() for f in state.failures[1:6]] + list(state.pending[:5])
        if more:
            found.append(Paragraph("Also: " + "; ".join(more)))
        rollback = Button(
            f"Roll back {follow.name}", f"rollback {follow.target} {where}", changes_cluster=True, style="danger"
        )
        found.append(Paragraph(f"`rollback {follow.target} {where}` restores the previous revision."))
        found.append(Actions((rollback, Button("Status", f"status {where}"))))
        return tuple(found)
    if state.phase == "lost":
        text = (
            f"Lost track of the rollout after {_secs(state.elapsed)}: {state.reason}. "
            f"It may still be going: `status {where}` shows where it stands."
        )
        return (progress, Notice("warning", text))
    if state.phase == "unfinished":
        text = f"Stopped following the rollout: {state.reason}. `status {where}` shows where it stands."
        return (progress, Notice("warning", text))
    waiting = [Paragraph("Waiting: " + "; ".join(state.pending[:5]))] if state.pending else []
    return (progress, *waiting)


def _job_blocks(follow: Follow, state: RolloutState, where: str) -> tuple[Block, ...]:
    progress = Paragraph(f"`{job_line(state)}`")
    if state.phase == "complete":
        return (progress, Notice("ok", f"Job `{follow.name}` completed in {_secs(state.elapsed)}."))
    if state.phase == "failed":
        found: list[Block] = [
            progress,
            Notice("error", f"Job `{follow.name}` failed after {_secs(state.elapsed)}: {state.reason}."),
        ]
        if state.failures:
            found.append(Paragraph("Failing: " + "; ".join(f.describe() for f in state.failures[:5])))
        buttons = [Button("Describe the Job", f"describe job {follow.name} {where}")]
        if state.failures:
            pod = state.failures[0].pod
            buttons.append(Button(f"Logs of {pod}", f"logs {pod} {where}"))
        found.append(Actions(tuple(buttons)))
        return tuple(found)
    if state.phase in ("lost", "unfinished"):
        return (
            progress,
            Notice(
                "warning", f"Stopped following the Job: {state.reason}. `describe job {follow.name} {where}` shows it."
            ),
        )
    return (progress,)


def tracked(reply: Reply, state: RolloutState) -> Reply:
    """The change's reply with its closing note replaced by where the rollout stands."""
    assert reply.follow is not None
    head = reply.blocks[:-1] if reply.blocks and isinstance(reply.blocks[-1], Notice) else reply.blocks
    ok = state.phase not in ("failed", "lost")
    return Reply((*head, *blocks(reply.follow, state)), ok=ok, follow=reply.follow)


def _secs(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60} s"
