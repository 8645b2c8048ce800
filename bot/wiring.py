"""Builds the app from settings: clusters, store, policy, access, pipeline. The only place that
decides which implementation of each port is used."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.access import Access, Impersonation, impersonation_modes
from bot.audit import AuditLog
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.policy.engine import Policy
from bot.policy.load import builtin, load
from bot.policy.reload import PolicyHolder, Reload
from bot.settings import Settings
from commands import default_registry
from commands.errors import ConfigError
from commands.redact import remember_secret
from commands.registry import Registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import RESERVED_PREFIX, Cluster
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
    access: Access
    audit: AuditLog
    chat: str  # "slack" (the bot) or "shell"


def build_clusters(settings: Settings) -> Clusters:
    if settings.demo:
        from integrations.cluster.simulated import SimulatedCluster

        names = settings.demo_cluster_names
        return Clusters([SimulatedCluster.demo(name) for name in names], names[0])
    from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig

    found: list[KubeCluster] = []
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
    for cluster in found:
        cluster.precheck = settings.access_review
    members: list[Cluster] = list(found)
    return Clusters(members, default or found[0].name)


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


def policy_loader(
    settings: Settings, registry: Registry, *, user: str, chat: str, clusters: Sequence[str]
) -> Callable[[], Policy]:
    # The allow-list applies to the Slack bot; the shell speaks from its own --channel.
    channels = settings.slack_channel_ids if chat == "slack" else frozenset()
    path = settings.policy_file
    if path is not None:
        return lambda: load(path, registry, channels=channels)
    if settings.demo and chat == "shell":
        # The person at the shell may do anything to the simulated clusters; in Slack, nobody is
        # made admin by default: reads are allowed, changes need a policy file.
        return lambda: builtin(registry, admin=user, clusters=clusters, channels=channels, shell=True)
    return lambda: builtin(registry, channels=channels)


def build_policy(
    settings: Settings,
    registry: Registry,
    *,
    user: str,
    chat: str,
    clusters: Sequence[str],
    observers: tuple[Callable[[Reload], None], ...] = (),
) -> PolicyHolder:
    loader = policy_loader(settings, registry, user=user, chat=chat, clusters=clusters)
    holder = PolicyHolder(loader, path=settings.policy_file, every=settings.policy_reload, observers=observers)
    return holder.start()


def impersonation(settings: Settings, clusters: Clusters, *, chat: str, force: bool = False) -> Impersonation:
    """On by default for the Slack bot on real clusters; off in the shell (the person at the
    keyboard already holds the kubeconfig's identity) unless `force` (--impersonate)."""
    from integrations.cluster.simulated import SimulatedCluster

    real = {c.name: not isinstance(c, SimulatedCluster) for c in clusters}
    try:
        modes = impersonation_modes(settings.impersonate, real, auto=chat == "slack")
    except ValueError as e:
        raise ConfigError(str(e), hint="Example: PILOTHOUSE_IMPERSONATE=prod-*=on,kind-*=off") from None
    if force:
        modes = dict.fromkeys(modes, True)
    for prefix, name in (
        (settings.impersonate_user_prefix, "PILOTHOUSE_IMPERSONATE_USER_PREFIX"),
        (settings.impersonate_group_prefix, "PILOTHOUSE_IMPERSONATE_GROUP_PREFIX"),
    ):
        if prefix.startswith(RESERVED_PREFIX):
            raise ConfigError(
                f"{name}=`{prefix}` could make Pilothouse impersonate Kubernetes' own `system:` names.",
                hint="Use a prefix of your own, like the defaults `slack:` and `pilothouse:`.",
            )
    return Impersonation(modes, settings.impersonate_user_prefix, settings.impersonate_group_prefix)


def channel_clusters(settings: Settings) -> dict[str, str]:
    try:
        return settings.channel_cluster_map
    except ValueError as e:
        raise ConfigError(str(e), hint="Example: PILOTHOUSE_CHANNEL_CLUSTERS=C0123=prod-eu,C0456=staging") from None


def remember_secrets(settings: Settings) -> None:
    """The settings' secrets are masked by value wherever text leaves (logs included)."""
    secrets = (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.redis_password,
        settings.redis_sentinel_password,
    )
    for value in secrets:
        if value is not None:
            remember_secret(value.get_secret_value())
    if settings.redis_url is not None:
        from urllib.parse import urlsplit

        remember_secret(urlsplit(settings.redis_url.get_secret_value()).password)


def build(settings: Settings, *, user: str, shell: bool = False, impersonate: bool = False) -> App:
    """`shell`: the local shell (also when Slack is configured); else the Slack bot when it is."""
    remember_secrets(settings)
    chat = "slack" if settings.slack and not shell else "shell"
    clusters = build_clusters(settings)
    store = build_store(settings)
    metrics = Metrics()
    registry = default_registry()
    holder = build_policy(
        settings, registry, user=user, chat=chat, clusters=[c.name for c in clusters], observers=(metrics.reloaded,)
    )
    metrics.reloaded(holder.last)
    access = Access(holder, clusters, impersonation=impersonation(settings, clusters, chat=chat, force=impersonate))
    audit = AuditLog(
        store, max_entries=settings.audit_max_entries, retention=timedelta(days=settings.audit_retention_days)
    )
    pipeline = Pipeline(
        registry=registry,
        clusters=clusters,
        store=store,
        access=access,
        audit=audit,
        observers=[metrics.observe],
        channel_clusters=channel_clusters(settings),
        budget=settings.request_budget,
    )
    return App(settings, clusters, store, pipeline, metrics, access, audit, chat)
