"""Change freezes, as the policy file declares them: which changes (commands; clusters,
namespaces and apps by glob), when (windows.py), and what a freeze does while it is on: refuse
(`deny`) or ask for approval (`approval`). A deny freeze may name who can break it
(`break_glass`): the change then waits for their approval under rule `<freeze>/break-glass`.

Only `Policy.authorise` asks a freeze anything, with the request's own time (`Request.at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.policy.globs import ANY, Globs
from bot.policy.windows import Occurrence, Window

if TYPE_CHECKING:
    from bot.policy.engine import Approval, Commands, Request

Effect = Literal["deny", "approval"]
BREAK_GLASS = "break-glass"
UPCOMING = timedelta(days=7)  # what `freezes` looks ahead


def break_glass_rule(freeze: str) -> str:
    """The approval rule a break-glass request waits on: `weekend/break-glass`."""
    return f"{freeze}/{BREAK_GLASS}"


@dataclass(frozen=True)
class Freeze:
    name: str
    reason: str
    commands: Commands
    windows: tuple[Window, ...]
    effect: Effect = "deny"
    clusters: Globs = ANY
    namespaces: Globs = ANY
    apps: Globs = ANY
    approval: Approval | None = None  # effect `approval`: what the change then needs
    break_glass: Approval | None = None  # effect `deny`: who may let a change through anyway
    every_change: bool = False  # `commands` left out: every command that changes a cluster

    def applies(self, request: Request) -> bool:
        """Whether the request is in this freeze's scope (whatever the time)."""
        if request.cluster is None or request.anywhere or not self.commands.match(request):
            return False
        if not self.clusters.match(request.cluster):
            return False
        if request.namespace is not None and not self.namespaces.match(request.namespace):
            return False
        if request.namespace is None and not self.namespaces.anything:
            return False  # cluster-wide (cordon): only a freeze for every namespace covers it
        if self.apps.anything:
            return True
        return request.app is not None and self.apps.match(request.app)

    def active(self, at: datetime) -> Occurrence | None:
        """The window on at `at` (the longest, when several are), or None."""
        found = [w for w in (window.active(at) for window in self.windows) if w is not None]
        return max(found, key=lambda w: w.end) if found else None

    def upcoming(self, at: datetime, horizon: timedelta = UPCOMING) -> list[Occurrence]:
        found = [o for window in self.windows for o in window.upcoming(at, at + horizon)]
        return sorted(found, key=lambda o: o.start)

    def scope(self) -> str:
        """In words, for `freezes` and check-config."""
        parts = [f"clusters {self.clusters}", f"namespaces {self.namespaces}"]
        if not self.apps.anything:
            parts.append(f"apps {self.apps}")
        commands = "every change to a cluster" if self.every_change else self.commands.describe()
        return "; ".join(parts) + f"; {commands}"

    def effect_text(self) -> str:
        if self.effect == "approval" and self.approval is not None:
            return f"needs {self.approval.count} approval(s) from {', '.join(self.approval.approvers)}"
        if self.break_glass is not None:
            who = ", ".join(self.break_glass.approvers)
            return f"denied; break glass: {self.break_glass.count} approval(s) from {who}"
        return "denied (no break-glass)"
