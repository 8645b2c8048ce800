"""The one redaction of connection URLs, for every message, log line and endpoint.

A URL may carry a secret in its userinfo (`redis://user:pass@host`) or in its query
(`redis://host/0?password=…`, which redis-py accepts). `redact_url` keeps what helps someone
find the service (scheme, host, port, path, harmless options) and masks the rest;
`redact_text` does it to every URL inside a longer text, such as a library's error message.
Neither ever raises: a URL that cannot even be parsed is masked whole after its scheme.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

MASK = "***"
# Query options that are never secret; every other option's value is masked.
HARMLESS_OPTIONS = frozenset(
    {
        "db",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "retry_on_timeout",
        "max_connections",
        "health_check_interval",
        "ssl_check_hostname",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_path",
        "timeout",
        "protocol",
        "client_name",
    }
)
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_URL_ENDS = frozenset(" \t\r\n\"'`<>()[]{},;|")


def redact_url(url: str) -> str:
    """`url` with its password, any lone userinfo and the value of every option that might be
    secret replaced by `***`; the fragment is dropped."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number
        return _redact_unparsable(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"  # an IPv6 address, as it was written
    if port is not None:
        netloc += f":{port}"
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc}"
    elif parts.username is not None:
        netloc = f"{MASK}@{netloc}"  # `redis://secret@host`: some clients take it as the password
    query = "&".join(
        f"{name}={value if name.lower() in HARMLESS_OPTIONS else MASK}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    path = MASK if "@" in parts.path else parts.path  # an unescaped `/` in a password ends the netloc early
    separator = "://" if "://" in url else ":"
    redacted = f"{parts.scheme}{separator}{netloc}{path}" if parts.scheme else f"{netloc}{path}"
    return f"{redacted}?{query}" if query else redacted


def split_netloc(url: str) -> tuple[str, str, str]:
    """(scheme, netloc, the rest) as written, without any parsing that could fail."""
    scheme, _, rest = url.partition("://")
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    return scheme, rest[:end], rest[end:]


def _redact_unparsable(url: str) -> str:
    scheme, netloc, after = split_netloc(url)
    if "://" not in url or "@" in after:  # an unescaped `/`, `?` or `#` in a password: its end is unknown
        return f"{scheme}://{MASK}" if "://" in url else MASK
    _, at, host = netloc.rpartition("@")
    return f"{scheme}://{MASK + '@' if at else ''}{host}{after.partition('?')[0].partition('#')[0]}"


def redact_text(text: str) -> str:
    """`text` with every `scheme://…` in it redacted. One pass, linear in the text."""
    out: list[str] = []
    pos = 0
    while (sep := text.find("://", pos)) != -1:
        start = sep
        while start > pos and text[start - 1].lower() in _SCHEME_CHARS:
            start -= 1
        end = sep + 3
        while end < len(text) and text[end] not in _URL_ENDS:
            end += 1
        out.append(text[pos:start])
        out.append(redact_url(text[start:end]) if start < sep else text[start:end])
        pos = end
    out.append(text[pos:])
    return "".join(out)
