"""Settings from the environment (prefix `PILOTHOUSE_`). Secrets are `SecretStr`: never printed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.store.redis_url import redis_url_problem


class Settings(BaseSettings):
    # hide_input_in_errors: a rejected value (a Redis URL with its password) never reaches an error's text.
    model_config = SettingsConfigDict(
        env_prefix="PILOTHOUSE_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    kubeconfig: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PILOTHOUSE_KUBECONFIG", "KUBECONFIG"),
        description="kubeconfig file(s); every context becomes a cluster named after it",
    )
    in_cluster: bool | None = Field(
        default=None, description="use the pod's service account (default: when running in a pod)"
    )
    in_cluster_name: str = Field(default="in-cluster", min_length=1)
    in_cluster_namespace: str = Field(default="default", min_length=1)
    default_cluster: str | None = Field(default=None, description="default: the current context")
    channel_clusters: str = Field(default="", description="per-channel default clusters: 'C0123=prod-eu,C0456=staging'")
    redis_url: SecretStr | None = Field(default=None, description="redis://[:password@]host:port/db")
    policy_file: Path | None = Field(default=None, description="YAML policy rules")
    request_timeout: float = Field(default=10.0, gt=0, le=300)
    log_level: str = Field(default="WARNING", pattern="^(DEBUG|INFO|WARNING|ERROR)$")  # JSON lines for the bot
    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb-…: the bot's token")
    slack_app_token: SecretStr | None = Field(default=None, description="xapp-…: Socket Mode")
    slack_signing_secret: SecretStr | None = Field(default=None, description="HTTP mode: verifies requests")
    slack_api_url: str | None = Field(default=None, description="Web API base URL (gateways, proxies, tests)")
    slack_command: str = Field(default="/pilot", pattern=r"^/[a-z0-9_-]{1,31}$")
    slack_channels: str = Field(default="", description="comma-separated channel IDs; empty: every channel")
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=3000, ge=0, le=65535)
    http_threads: int = Field(default=16, ge=1, le=256, description="threads serving HTTP (acks)")
    http_max_body: int = Field(
        default=1024 * 1024,
        ge=16 * 1024,
        le=64 * 1024 * 1024,
        description="bytes: a larger request is refused (413) before it is read; Slack's payloads are far smaller",
    )
    request_budget: float = Field(
        default=30.0,
        ge=1,
        le=600,
        description="seconds one message may take: past it the request is stopped and the person told so",
    )
    workers: int = Field(default=16, ge=1, le=256, description="threads doing the work, when not in processes")
    work_queue: int = Field(default=1000, ge=0, le=100_000, description="work waiting before users are asked to retry")
    work_processes: int | None = Field(
        default=None, ge=0, le=64, description="processes running the pipeline for the bot; 0: in the front process"
    )
    work_settle: float = Field(
        default=0.05, ge=0, le=1, description="seconds of quiet before a burst's work starts (acks first); 0: at once"
    )
    # Scheduled digests: which replica posts them (the leader) and how late one may still be posted.
    leader_election: Literal["auto", "redis", "lease", "none"] = Field(
        default="auto", description="auto: a Kubernetes Lease in a pod, else a Redis lock, else this process alone"
    )
    leader_ttl: float = Field(default=15.0, ge=3, le=300, description="seconds a leader may go silent")
    leader_lease_name: str = Field(default="pilothouse-scheduler", min_length=1)
    leader_lease_namespace: str | None = Field(default=None, description="default: the in-cluster namespace")
    digest_misfire_grace: float = Field(default=3600.0, ge=1, description="a digest this late is still posted")
    digest_late_after: float = Field(default=60.0, ge=0, description="a digest this late says so")

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
        return frozenset(c.strip() for c in self.slack_channels.split(",") if c.strip())

    @property
    def use_in_cluster(self) -> bool:
        if self.in_cluster is not None:
            return self.in_cluster
        return self.kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ

    @property
    def demo(self) -> bool:
        """Zero-setup mode: no cluster configured, so the simulated demo cluster is used."""
        return self.kubeconfig is None and not self.use_in_cluster
