"""Settings from the environment (prefix `PILOTHOUSE_`). Secrets are `SecretStr`: never printed.

Every setting belongs to one of `GROUPS` and says what it does: the README's settings tables and
the chart's `settings:` values are generated from these declarations (scripts/settings_docs.py;
`scripts/test` fails when they drift).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.store.redis_url import redis_url_problem


class Group(NamedTuple):
    title: str
    about: str


GROUPS: dict[str, Group] = {
    "slack": Group("Slack and HTTP", "How Pilothouse connects to Slack, and the HTTP port it serves."),
    "clusters": Group("Clusters", "Which Kubernetes clusters Pilothouse talks to, and how."),
    "store": Group("State store", "Where conversations, schedules and the audit trail are kept."),
    "work": Group("Work pool", "How the work behind the acknowledgements runs."),
    "scheduler": Group("Scheduler", "Scheduled digests: which replica posts them, and how late one may be."),
    "policy": Group("Policy", "Who may do what, where."),
    "approvals": Group("Approvals", "Approval requests in Slack: where they are posted, which reactions vote."),
    "logging": Group("Logging", "What Pilothouse writes to its log."),
}


def setting(default: Any, group: str, description: str, *, default_text: str | None = None, **field: Any) -> Any:
    """A documented setting. `default_text` says what an unset (None) default means."""
    extra: dict[str, Any] = {"group": group}
    if default_text is not None:
        extra["default_text"] = default_text
    return Field(default, description=description, json_schema_extra=extra, **field)


_EMOJI = r"^[a-z0-9_+'-]{1,100}$"  # an emoji's name as Slack sends it in reaction events


class Settings(BaseSettings):
    # hide_input_in_errors: a rejected value (a Redis URL with its password) never reaches an error's text.
    model_config = SettingsConfigDict(
        env_prefix="PILOTHOUSE_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    # --- Slack and HTTP ---
    slack_bot_token: SecretStr | None = setting(
        None,
        "slack",
        "the bot token (`xoxb-…`); with it, `pilothouse` runs the Slack bot (`--shell` forces the shell)",
        default_text="unset: the shell",
    )
    slack_app_token: SecretStr | None = setting(
        None, "slack", "app-level token (`xapp-…`, scope `connections:write`): Socket Mode", default_text="unset"
    )
    slack_signing_secret: SecretStr | None = setting(
        None, "slack", "HTTP mode: verifies each request's signature", default_text="unset"
    )
    slack_command: str = setting("/pilot", "slack", "the slash command", pattern=r"^/[a-z0-9_-]{1,31}$")
    slack_channels: str = setting(
        "",
        "slack",
        "comma-separated channel IDs Pilothouse answers in (direct messages always work)",
        default_text="every channel",
    )
    slack_api_url: str | None = setting(
        None,
        "slack",
        "Web API base URL, for Slack-compatible gateways and proxies",
        default_text="`https://slack.com/api/`",
    )
    slack_team_ids: str = setting(
        "",
        "slack",
        "our workspaces (`T…`, comma-separated): people of any other are external",
        default_text="the bot's own (`auth.test`)",
        max_length=1000,
    )
    slack_enterprise_ids: str = setting(
        "",
        "slack",
        "our Enterprise Grid organisations (`E…`): their people are ours in every workspace",
        default_text="the bot's own (`auth.test`)",
        max_length=1000,
    )
    http_host: str = setting(
        "0.0.0.0", "slack", "where `/slack/events` (HTTP mode) and `/healthz`, `/readyz`, `/metrics` listen"
    )
    http_port: int = setting(3000, "slack", "the HTTP port (0: any free port)", ge=0, le=65535)
    http_max_body: int = setting(
        1024 * 1024,
        "slack",
        "bytes: a larger request is refused (413) before it is read; Slack's payloads are far smaller",
        ge=16 * 1024,
        le=64 * 1024 * 1024,
    )

    # --- Clusters ---
    kubeconfig: str | None = setting(
        None,
        "clusters",
        "kubeconfig file(s), `:`-separated (`KUBECONFIG` also works); every context becomes a cluster named after it",
        default_text="unset: the simulated demo cluster (or the pod's own cluster)",
        validation_alias=AliasChoices("PILOTHOUSE_KUBECONFIG", "KUBECONFIG"),
    )
    in_cluster: bool | None = setting(
        None,
        "clusters",
        "use the pod's service account for its own cluster",
        default_text="on in a pod without a kubeconfig",
    )
    in_cluster_name: str = setting("in-cluster", "clusters", "the name of the pod's own cluster", min_length=1)
    in_cluster_namespace: str = setting(
        "default", "clusters", "the default namespace of the pod's own cluster", min_length=1
    )
    default_cluster: str | None = setting(
        None, "clusters", "the cluster used without `--cluster`", default_text="the kubeconfig's current context"
    )
    channel_clusters: str = setting(
        "",
        "clusters",
        "per-channel clusters, `C0123=prod-eu,C0456=staging` (a person's `use --cluster`, then `--cluster`, win)",
        default_text="none",
    )
    request_timeout: float = setting(10.0, "clusters", "seconds to wait for an API server", gt=0, le=300)
    demo_clusters: str = setting(
        "demo",
        "clusters",
        "names of the simulated clusters when none is configured (e.g. `staging-eu,prod-eu`)",
        max_length=1000,
    )

    # --- State store ---
    redis_url: SecretStr | None = setting(
        None,
        "store",
        "`redis://[[user]:password@]host:port/db`, `rediss://…` (TLS) or `unix://…`: shared state and the audit "
        "trail; checked at start-up. With Sentinel, the host is the Sentinel service name (`redis://mymaster/0`)",
        default_text="unset: in memory (lost on exit)",
    )
    redis_password: SecretStr | None = setting(
        None,
        "store",
        "the Redis password, if not in the URL (so it can come from a Secret as it is)",
        default_text="unset",
    )
    redis_ca_file: Path | None = setting(
        None,
        "store",
        "PEM file of the CA(s) that signed the Redis (and Sentinel) TLS certificates",
        default_text="the system's CAs",
    )
    redis_sentinels: str = setting(
        "",
        "store",
        "Redis Sentinel: comma-separated `host:port` of the sentinels, which name the master",
        default_text="unset: no Sentinel",
    )
    redis_sentinel_password: SecretStr | None = setting(
        None, "store", "the password of the sentinels, if they need one", default_text="unset"
    )

    # --- Work pool ---
    http_threads: int = setting(16, "work", "threads serving HTTP and acking", ge=1, le=256)
    work_processes: int | None = setting(
        None,
        "work",
        "worker processes running the bot's jobs (real clusters with Redis); 0: in the front process",
        default_text="4 (0 with the demo cluster or no Redis)",
        ge=0,
        le=64,
    )
    workers: int = setting(16, "work", "threads doing the work, when it is not in worker processes", ge=1, le=256)
    work_queue: int = setting(1000, "work", "work waiting before people are asked to retry", ge=0, le=100_000)
    request_budget: float = setting(
        30.0,
        "work",
        "seconds one message may take: past it the request is stopped and the person told so",
        ge=1,
        le=600,
    )
    work_settle: float = setting(0.05, "work", "seconds of quiet before a burst's work starts (0: at once)", ge=0, le=1)

    # --- Scheduler ---
    leader_election: Literal["auto", "redis", "lease", "none"] = setting(
        "auto",
        "scheduler",
        "who posts scheduled digests: `lease` (a Kubernetes Lease), `redis` (a Redis lock), `none` (this process)",
        default_text="`auto`: a Lease in a pod, else Redis when configured, else none",
    )
    leader_ttl: float = setting(
        15.0, "scheduler", "seconds a silent leader keeps the role (lease duration, lock TTL)", ge=3, le=300
    )
    leader_lease_name: str = setting("pilothouse-scheduler", "scheduler", "the Lease's name", min_length=1)
    leader_lease_namespace: str | None = setting(
        None, "scheduler", "the Lease's namespace", default_text="the pod's own cluster's default namespace"
    )
    digest_misfire_grace: float = setting(
        3600.0, "scheduler", "seconds after its time a missed digest is still posted", ge=1
    )
    digest_late_after: float = setting(60.0, "scheduler", "seconds after its time a digest says it is late", ge=0)

    # --- Policy ---
    policy_file: Path | None = setting(
        None,
        "policy",
        "the policy file: groups, roles, bindings, deny rules (README, “Permissions”); reloaded when it changes",
        default_text="built-in: reads for everyone",
    )
    policy_reload: float = setting(
        2.0, "policy", "seconds between checks of the policy file for changes (also reloaded on SIGHUP)", ge=0.2, le=300
    )
    group_ttl: float = setting(300.0, "policy", "seconds the members of a Slack user group are cached", ge=1, le=86400)
    impersonate: str = setting(
        "auto",
        "policy",
        "Kubernetes impersonation: `auto`, `on`, `off`, or per cluster `prod-*=on,kind-*=off`",
        default_text="`auto`: on for the Slack bot on real clusters, off in the shell",
        max_length=1000,
    )
    impersonate_user_prefix: str = setting(
        "slack:", "policy", "prefix of the impersonated user: `slack:U0123ABC`", max_length=64
    )
    impersonate_group_prefix: str = setting(
        "pilothouse:", "policy", "prefix of each impersonated group: `pilothouse:deployers`", max_length=64
    )
    access_review: bool = setting(
        False, "policy", "ask Kubernetes (SelfSubjectAccessReview, as the person) before each write"
    )
    audit_max_entries: int = setting(
        100_000, "policy", "audit records kept in the stream (`MAXLEN ~`)", ge=100, le=100_000_000
    )
    audit_retention_days: float = setting(90.0, "policy", "days audit records are kept", gt=0, le=3650)

    # --- Approvals ---
    approvals_channel: str | None = setting(
        None,
        "approvals",
        "a channel ID (`C…`) where every approval request is posted too, besides the channel it was asked in",
        default_text="unset: only where it was asked",
        pattern=r"^[CG][A-Z0-9]{2,20}$",
    )
    approve_reaction: str = setting(
        "white_check_mark",
        "approvals",
        "the reaction (emoji name, no colons) that approves a request; removing it withdraws the vote",
        pattern=_EMOJI,
    )
    deny_reaction: str = setting(
        "x", "approvals", "the reaction that denies a request; removing it withdraws the vote", pattern=_EMOJI
    )
    approvals_sweep: float = setting(
        15.0,
        "approvals",
        "seconds between looks at what time decides: expired requests and lost runs",
        ge=0.1,
        le=300,
    )

    # --- Logging ---
    log_level: str = setting(
        "WARNING",
        "logging",
        "`DEBUG`, `INFO`, `WARNING` or `ERROR` (JSON lines when running the Slack bot)",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
    )

    @field_validator("deny_reaction")
    @classmethod
    def _distinct_reactions(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("approve_reaction"):
            raise ValueError("the approve and deny reactions must differ")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (problem := redis_url_problem(value.get_secret_value())):
            raise ValueError(problem)
        return value

    @property
    def pipeline_processes(self) -> int:
        """Worker processes for the bot's jobs: 4 by default with real clusters and Redis.

        Processes share state only through Redis: with the embedded store (or the in-memory
        demo cluster) every process would keep its own, so jobs then run in threads instead.
        """
        if self.demo or self.redis_url is None:
            return 0
        return 4 if self.work_processes is None else self.work_processes

    @property
    def channel_cluster_map(self) -> dict[str, str]:
        pairs = [p.strip() for p in self.channel_clusters.split(",") if p.strip()]
        mapping = {}
        for pair in pairs:
            channel, sep, cluster = pair.partition("=")
            if not sep or not channel.strip() or not cluster.strip():
                raise ValueError(f"PILOTHOUSE_CHANNEL_CLUSTERS: `{pair}` is not CHANNEL=CLUSTER")
            mapping[channel.strip()] = cluster.strip()
        return mapping

    @property
    def slack(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def slack_channel_ids(self) -> frozenset[str]:
        return _ids(self.slack_channels)

    @property
    def slack_team_id_set(self) -> frozenset[str]:
        return _ids(self.slack_team_ids)

    @property
    def slack_enterprise_id_set(self) -> frozenset[str]:
        return _ids(self.slack_enterprise_ids)

    @property
    def demo_cluster_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.strip() for c in self.demo_clusters.split(",") if c.strip())) or ("demo",)

    @property
    def use_in_cluster(self) -> bool:
        if self.in_cluster is not None:
            return self.in_cluster
        return self.kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ

    @property
    def demo(self) -> bool:
        """Zero-setup mode: no cluster configured, so the simulated demo cluster is used."""
        return self.kubeconfig is None and not self.use_in_cluster


def _ids(text: str) -> frozenset[str]:
    return frozenset(c.strip() for c in text.split(",") if c.strip())
