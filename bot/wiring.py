"""Builds the app from settings: clusters, store, policy, pipeline. The only place that decides
which implementation of each port is used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.policy import Policy
from bot.settings import Settings
from commands import default_registry
from commands.errors import ConfigError
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import Cluster
from integrations.store.port import Store

if TYPE_CHECKING:
    from integrations.store.connection import RedisTarget

DEMO_CLUSTER = "demo"


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    clusters: Clusters
    store: Store
    pipeline: Pipeline
    metrics: Metrics


def build_clusters(settings: Settings) -> Clusters:
    if settings.demo:
        from integrations.cluster.simulated import SimulatedCluster

        return Clusters([SimulatedCluster.demo(DEMO_CLUSTER)], DEMO_CLUSTER)
    from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig

    found: list[Cluster] = []
    default = settings.default_cluster
    if settings.use_in_cluster:
        found.append(
            KubeCluster.in_cluster(
                settings.in_cluster_name, namespace=settings.in_cluster_namespace, timeout=settings.request_timeout
            )
        )
        default = default or settings.in_cluster_name
    if settings.kubeconfig:
        contexts, current = clusters_from_kubeconfig(settings.kubeconfig, timeout=settings.request_timeout)
        found.extend(contexts)
        default = default or current
    return Clusters(found, default or found[0].name)


def redis_target(settings: Settings) -> RedisTarget | None:
    """Where Redis is (a URL, or Sentinel), or None for the embedded store."""
    if settings.redis_url is None:
        if settings.redis_sentinels:
            raise ConfigError(
                "PILOTHOUSE_REDIS_SENTINELS needs PILOTHOUSE_REDIS_URL, whose host names the Sentinel service.",
                hint="Example: PILOTHOUSE_REDIS_URL=redis://mymaster/0",
            )
        return None
    from integrations.store.connection import RedisTarget, parse_sentinels

    return RedisTarget(
        url=settings.redis_url.get_secret_value(),
        password=_secret(settings.redis_password),
        ca_file=settings.redis_ca_file,
        sentinels=parse_sentinels(settings.redis_sentinels),
        sentinel_password=_secret(settings.redis_sentinel_password),
    )


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def build_store(settings: Settings) -> Store:
    target = redis_target(settings)
    if target is None:
        from integrations.store.memory import MemoryStore

        return MemoryStore()
    from integrations.store.redis_store import RedisStore

    store = RedisStore(target)
    store.ping()  # fail at start-up, with a clear message, rather than on the first command
    return store


def build_policy(settings: Settings, *, user: str) -> Policy:
    if settings.policy_file:
        return Policy.from_file(settings.policy_file)
    if settings.demo and not settings.slack:
        # The person at the shell may do anything to the simulated cluster; in Slack, nobody is
        # made admin by default: reads are allowed, changes need a policy file.
        return Policy.demo(user, DEMO_CLUSTER)
    return Policy([])


def channel_clusters(settings: Settings) -> dict[str, str]:
    try:
        return settings.channel_cluster_map
    except ValueError as e:
        raise ConfigError(str(e), hint="Example: PILOTHOUSE_CHANNEL_CLUSTERS=C0123=prod-eu,C0456=staging") from None


def build(settings: Settings, *, user: str) -> App:
    clusters = build_clusters(settings)
    store = build_store(settings)
    metrics = Metrics()
    pipeline = Pipeline(
        registry=default_registry(),
        policy=build_policy(settings, user=user),
        clusters=clusters,
        store=store,
        observers=[metrics.observe],
        channel_clusters=channel_clusters(settings),
        budget=settings.request_budget,
    )
    return App(settings, clusters, store, pipeline, metrics)
