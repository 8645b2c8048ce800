"""Following the rollout a reply started, as the person who started it (a view bound to them)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.access import Access
from bot.handlers import rollout_view
from bot.policy.subject import Subject
from commands.replies import Reply
from integrations.cluster.progress import RolloutState
from integrations.cluster.tracking import RolloutTracker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a followed rollout stands, and the whole message that shows it."""

    state: RolloutState
    reply: Reply


class Follower:
    def __init__(self, access: Access) -> None:
        self.access = access
        self._following: set[RolloutTracker] = set()
        self._lock = threading.Lock()

    def follow(self, reply: Reply, show: Callable[[Progress], None], subject: Subject) -> Progress | None:
        if reply.follow is None:
            return None
        target = reply.follow
        cluster = self.access.clusters.get(target.cluster)
        seen = cluster.view(self.access.identity(subject, cluster.name))
        tracker = RolloutTracker(seen, target.namespace, target.name, target.resource)

        def report(state: RolloutState) -> None:
            if not state.done:
                show(Progress(state, rollout_view.tracked(reply, state)))

        with self._lock:
            self._following.add(tracker)
        try:
            final = tracker.follow(report)
        finally:
            with self._lock:
                self._following.discard(tracker)
        log.info(
            "rollout of %s/%s on %s as %s: %s after %.1f s%s",
            target.namespace,
            target.name,
            target.cluster,
            seen.identity,
            final.phase,
            final.elapsed,
            f" ({final.reason})" if final.reason else "",
        )
        return Progress(final, rollout_view.tracked(reply, final))

    def stop(self, reason: str) -> None:
        """End every rollout being followed now: each reports where it stood, and why it stopped."""
        with self._lock:
            following = list(self._following)
        for tracker in following:
            tracker.stop(reason)
