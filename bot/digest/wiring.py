"""The scheduled digests of a running bot: who leads, what runs, where it is posted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from bot.digest.posting import Poster, ScheduledDigests
from bot.digest.service import DigestMaker
from bot.settings import Settings
from bot.wiring import App, redis_target
from commands.errors import ConfigError
from integrations.scheduler.leader import Leadership, RedisLeader, SoleLeader
from integrations.scheduler.runner import LeaderScheduler
from integrations.scheduler.triggers import trigger


def leadership(app: App) -> Leadership:
    settings = app.settings
    kind = settings.leader_election
    if kind == "auto":
        kind = "lease" if settings.use_in_cluster else "redis" if settings.redis_url else "none"
    if kind == "redis":
        target = redis_target(settings)
        if target is None:
            raise ConfigError("PILOTHOUSE_LEADER_ELECTION=redis needs PILOTHOUSE_REDIS_URL.")
        return RedisLeader(target, ttl=settings.leader_ttl)
    if kind == "lease":
        return _lease(app, settings)
    return SoleLeader()


def _lease(app: App, settings: Settings) -> Leadership:
    from integrations.cluster.kube import KubeCluster
    from integrations.scheduler.kubernetes_lease import LeaseLeader

    cluster = app.clusters.get(settings.in_cluster_name if settings.use_in_cluster else None)
    if not isinstance(cluster, KubeCluster):
        raise ConfigError("PILOTHOUSE_LEADER_ELECTION=lease needs a real cluster (a kubeconfig or in-cluster).")
    namespace = settings.leader_lease_namespace or cluster.default_namespace
    return LeaseLeader(
        cluster.api_client(), name=settings.leader_lease_name, namespace=namespace, ttl=settings.leader_ttl
    )


def scheduled(app: App, poster: Poster, identity: str) -> ScheduledDigests:
    """The digests of `app`'s schedules, made from its clusters and posted with `poster`."""
    return ScheduledDigests(
        maker=DigestMaker(app.clusters, app.store),
        store=app.store,
        poster=poster,
        identity=identity,
        late_after=app.settings.digest_late_after,
    )


Fire = Callable[[str, datetime, str], bool]  # (schedule id, fire time, leader identity) → posted?


def scheduled_digests(
    app: App,
    poster: Poster,
    *,
    sync_every: float = 2.0,
    make_trigger: Callable[[str, str], CronTrigger] = trigger,
    elsewhere: Fire | None = None,
) -> LeaderScheduler:
    """`elsewhere`: make and post each digest there (a worker process), not in this process."""
    leader = leadership(app)
    digests = scheduled(app, poster, leader.identity)
    return LeaderScheduler(
        leader=leader,
        jobs=digests.jobs,
        version=digests.version,
        run=digests.fire if elsewhere is None else lambda schedule, due: elsewhere(schedule, due, leader.identity),
        misfire_grace=app.settings.digest_misfire_grace,
        sync_every=sync_every,
        make_trigger=make_trigger,
    )
