"""How a followed rollout looks in chat: a progress bar while it runs, then how it ended."""

from __future__ import annotations

from commands.replies import Actions, Block, Button, Follow, Notice, Paragraph, Reply
from integrations.cluster.progress import RolloutState

BAR_WIDTH = 10


def bar(done: int, total: int) -> str:
    filled = BAR_WIDTH if total <= 0 else round(BAR_WIDTH * min(done, total) / total)
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def line(state: RolloutState) -> str:
    """One line of progress, like kubectl rollout status prints it."""
    d = state.desired
    counts = f"{state.updated}/{d} updated · {state.ready}/{d} ready · {state.available}/{d} available"
    old = state.total - state.updated
    extra = f" · {old} old pod{'s' if old != 1 else ''} left" if old > 0 else ""
    return (
        f"{bar(state.available if state.updated >= d else state.updated, d)} {counts}{extra} · {_secs(state.elapsed)}"
    )


def blocks(follow: Follow, state: RolloutState) -> tuple[Block, ...]:
    """Where the rollout stands: the bar, and at the end what happened and what to do next."""
    where = f"-n {follow.namespace} --cluster {follow.cluster}"
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
            f"Roll back {follow.name}", f"rollback {follow.name} {where}", changes_cluster=True, style="danger"
        )
        found.append(Paragraph(f"`rollback {follow.name} {where}` restores the previous revision."))
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


def tracked(reply: Reply, state: RolloutState) -> Reply:
    """The change's reply with its closing note replaced by where the rollout stands."""
    assert reply.follow is not None
    head = reply.blocks[:-1] if reply.blocks and isinstance(reply.blocks[-1], Notice) else reply.blocks
    ok = state.phase not in ("failed", "lost")
    return Reply((*head, *blocks(reply.follow, state)), ok=ok, follow=reply.follow)


def _secs(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60} s"
