"""Settings from the environment (prefix `PILOTHOUSE_`). Secrets are `SecretStr`: never printed."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PILOTHOUSE_", extra="ignore")

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
    redis_url: SecretStr | None = Field(default=None, description="redis://[:password@]host:port/db")
    policy_file: Path | None = Field(default=None, description="YAML policy rules")
    request_timeout: float = Field(default=10.0, gt=0, le=300)
    log_level: str = Field(default="WARNING", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None

    @property
    def use_in_cluster(self) -> bool:
        if self.in_cluster is not None:
            return self.in_cluster
        return self.kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ

    @property
    def demo(self) -> bool:
        """Zero-setup mode: no cluster configured, so the simulated demo cluster is used."""
        return self.kubeconfig is None and not self.use_in_cluster
