"""One way to reach Redis, for the store and the leader lock alike: a URL (`redis://`, or
`rediss://` with TLS and an optional CA file), or Redis Sentinel, which names the master.

With Sentinel, the URL's host is the service (master set) name, as in redis-rb and Sidekiq:
`redis://:password@mymaster/0`. A failover is followed by redis-py's `SentinelConnectionPool`:
a connection to a demoted master is dropped and the next command asks the sentinels again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from commands.errors import ConfigError
from integrations.redact import redact_url
from integrations.store.redis_url import redis_url_problem

SENTINEL_PORT = 26379
# A command that meets a dead connection (a restarted Redis, a master just demoted) is retried on
# a fresh one a few times, so an outage is still reported within seconds.
RETRY = Retry(ExponentialBackoff(cap=1.0, base=0.1), retries=4)


@dataclass(frozen=True, slots=True)
class RedisTarget:
    url: str
    password: str | None = None
    ca_file: Path | None = None
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_password: str | None = None

    @classmethod
    def of(cls, target: RedisTarget | str) -> RedisTarget:
        return target if isinstance(target, RedisTarget) else cls(target)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "rediss"

    @property
    def where(self) -> str:
        """Where it is, without any password: for logs and error messages."""
        if not self.sentinels:
            return redact_url(self.url)
        sentinels = ",".join(f"{host}:{port}" for host, port in self.sentinels)
        return f"{redact_url(self.url)} (Sentinel service `{urlsplit(self.url).hostname}` via {sentinels})"


def parse_sentinels(text: str) -> tuple[tuple[str, int], ...]:
    """`host:port,host:port` (the port defaults to 26379); a clear error for anything else."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        host, sep, port = item.partition(":")
        port = port if sep else str(SENTINEL_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(
                f"PILOTHOUSE_REDIS_SENTINELS: `{item}` is not HOST:PORT.",
                hint="Example: PILOTHOUSE_REDIS_SENTINELS=sentinel-0:26379,sentinel-1:26379",
            )
        found.append((host, int(port)))
    return tuple(found)


def connect(
    target: RedisTarget, *, timeout: float, decode_responses: bool = False, retry: Retry = RETRY
) -> redis.Redis[Any]:
    """A client for the target (connections are made on first use)."""
    if problem := redis_url_problem(target.url):
        raise ConfigError(f"PILOTHOUSE_REDIS_URL: {problem}")
    parts = urlsplit(target.url)
    if target.ca_file is not None and not target.tls:
        raise ConfigError(
            "PILOTHOUSE_REDIS_CA_FILE is set but the Redis URL is not rediss:// (TLS).",
            hint="Use rediss://… to connect with TLS, or unset PILOTHOUSE_REDIS_CA_FILE.",
        )
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": retry,
        "health_check_interval": 30,
        "decode_responses": decode_responses,
    }
    tls = _tls_options(target)
    if target.password is not None:
        if parts.password is not None:
            raise ConfigError(
                "The Redis password is given twice: in the URL and in PILOTHOUSE_REDIS_PASSWORD.",
                hint="Keep one: the URL without a password and PILOTHOUSE_REDIS_PASSWORD suits a Kubernetes Secret.",
            )
        options["password"] = target.password
    if not target.sentinels:
        return redis.Redis.from_url(target.url, **options, **tls)
    return _sentinel_master(target, parts, options, tls)


def _tls_options(target: RedisTarget) -> dict[str, Any]:
    if not target.tls:
        return {}
    options: dict[str, Any] = {"ssl_cert_reqs": "required"}
    if target.ca_file is not None:
        options["ssl_ca_certs"] = str(target.ca_file)
    return options


def _sentinel_master(target: RedisTarget, parts: Any, options: dict[str, Any], tls: dict[str, Any]) -> redis.Redis[Any]:
    service = parts.hostname
    if parts.scheme == "unix" or not service:
        raise ConfigError(
            "With PILOTHOUSE_REDIS_SENTINELS, the Redis URL's host is the Sentinel service name; it has none.",
            hint="Example: PILOTHOUSE_REDIS_URL=redis://mymaster/0",
        )
    path = parts.path.strip("/") or "0"
    if not path.isdigit():
        raise ConfigError(
            f"The Redis URL's database must be a number, not `{path}`.", hint="Example: redis://mymaster/0"
        )
    ssl = {"ssl": True, **tls} if tls else {}
    sentinel_options: dict[str, Any] = {
        "socket_timeout": options["socket_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"],
        "retry": Retry(NoBackoff(), 0),  # a sentinel that does not answer is skipped at once for the next
        **ssl,
    }
    if target.sentinel_password is not None:
        sentinel_options["password"] = target.sentinel_password
    if parts.password is not None:
        options["password"] = unquote(parts.password)
    if parts.username:
        options["username"] = unquote(parts.username)
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=sentinel_options)
    master: redis.Redis[Any] = sentinel.master_for(service, db=int(path), **options, **ssl)
    return master
