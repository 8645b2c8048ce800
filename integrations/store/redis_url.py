"""Checking a Redis URL before anything connects with it, with an error that names the part at
fault (and never shows the password). redis-py itself would take `redis://host/abc` as db 0,
and fail on `?colour=blue` only at the first command, with a TypeError."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from integrations.redact import redact_url, split_netloc

SCHEMES = ("redis", "rediss", "unix")
_BOOLEAN = ("0", "1", "true", "false", "yes", "no", "t", "f", "y", "n", "on", "off")


def _is_int(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _is_number(value: str) -> bool:
    head, _, tail = value.partition(".")
    return bool(head or tail) and all(not part or _is_int(part) for part in (head, tail))


def _is_boolean(value: str) -> bool:
    return value.lower() in _BOOLEAN


_NUMBER = (_is_number, "a number of seconds")
_WHOLE = (_is_int, "a whole number")
_YES_NO = (_is_boolean, "true or false")
_TEXT = (None, "")
# The options redis-py takes in a URL's query: how each value must look, and how to say it.
OPTIONS: dict[str, tuple[Callable[[str], bool] | None, str]] = {
    "db": _WHOLE,
    "socket_timeout": _NUMBER,
    "socket_connect_timeout": _NUMBER,
    "timeout": _NUMBER,
    "socket_keepalive": _YES_NO,
    "retry_on_timeout": _YES_NO,
    "max_connections": _WHOLE,
    "health_check_interval": _WHOLE,
    "ssl_check_hostname": _YES_NO,
    "ssl_cert_reqs": (lambda v: v in ("none", "optional", "required"), "none, optional or required"),
    "protocol": (lambda v: v in ("2", "3"), "2 or 3"),
    "password": _TEXT,
    "username": _TEXT,
    "client_name": _TEXT,
    "ssl_ca_certs": _TEXT,
    "ssl_ca_path": _TEXT,
    "ssl_certfile": _TEXT,
    "ssl_keyfile": _TEXT,
    "ssl_password": _TEXT,
}


def redis_url_problem(url: str) -> str | None:
    """What is wrong with `url` as PILOTHOUSE_REDIS_URL, in one line; None when it can be used."""
    shown = redact_url(url)
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        return f"`{shown}` must start with redis://, rediss:// (TLS) or unix:// (e.g. redis://redis:6379/0)"
    if "@" in split_netloc(url)[2]:
        return f"`{shown}` cannot be read: is there a `/`, `?` or `#` in the password? Write them as %2F, %3F, %23"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"`{shown}` has a port that is not a number from 1 to 65535"
    if parts.scheme == "unix":
        if not parts.path:
            return f"`{shown}` names no socket: unix:///run/redis/redis.sock"
    else:
        if not parts.hostname:
            return f"`{shown}` names no host: {parts.scheme}://HOST:6379/0"
        if port == 0:
            return f"`{shown}` has port 0: use the port Redis listens on (6379 by default)"
        database = parts.path.removeprefix("/")
        if database and not _is_int(database):
            return (
                f"`{shown}` has `/{database}` where the database number goes: use /0 to /15 (e.g. redis://redis:6379/0)"
            )
    return _option_problem(shown, parts.query)


def _option_problem(shown: str, query: str) -> str | None:
    try:
        options = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        return f"`{shown}` has a query that is not NAME=VALUE&…"
    for name, value in options:
        if name not in OPTIONS:
            known = ", ".join(sorted(OPTIONS))
            return f"`{shown}` has an unknown option `{name}`; Redis URLs take: {known}"
        check, expected = OPTIONS[name]
        if check is not None and not check(value):
            return f"`{shown}` has an invalid `{name}`: it must be {expected}"
    return None
