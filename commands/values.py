"""Validated value types for action fields: Kubernetes names, label selectors, image references.

Each validator raises `ValueError` with a message that says what would be right; the parser
turns it into a `UsageError` naming the option the person typed.

No regular expressions here: each check is a small scanner that looks at every character once,
after the input's length has been checked against its limit (commands/limits.py). A backtracking
pattern on a chat message is a way for anyone to stall the bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from commands.kinds import MAX_KIND, built_in
from commands.limits import (
    IMAGE_CHARS,
    IMAGE_NAME_CHARS,
    LABEL_CHARS,
    LONGEST_SECONDS,
    NAME_CHARS,
    SELECTOR_CHARS,
    shown,
    too_long,
)

_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM = _LOWER_ALNUM | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DNS_CHARS = _LOWER_ALNUM | {"-"}
_LABEL_NAME_CHARS = _ALNUM | {"-", "_", "."}
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")


def _is_dns_label(value: str, limit: int = LABEL_CHARS) -> bool:
    """RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit."""
    return (
        0 < len(value) <= limit
        and value[0] in _LOWER_ALNUM
        and value[-1] in _LOWER_ALNUM
        and all(c in _DNS_CHARS for c in value)
    )


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= NAME_CHARS and all(_is_dns_label(part, NAME_CHARS) for part in value.split("."))


def dns_label(value: str) -> str:
    """Namespaces and container names: RFC 1123 labels."""
    if len(value) > LABEL_CHARS:
        raise ValueError(f"`{shown(value)}` is not a valid name: {too_long('it', len(value), LABEL_CHARS)}")
    if not _is_dns_label(value):
        raise ValueError(
            f"`{shown(value)}` is not a valid name: use lowercase letters, digits and '-', "
            f"start and end with a letter or digit, at most {LABEL_CHARS} characters"
        )
    return value


def dns_subdomain(value: str) -> str:
    """Pods, Deployments, Nodes: RFC 1123 subdomains."""
    if len(value) > NAME_CHARS:
        raise ValueError(f"`{shown(value)}` is not a valid name: {too_long('it', len(value), NAME_CHARS)}")
    if not is_dns_subdomain(value):
        raise ValueError(
            f"`{shown(value)}` is not a valid name: use lowercase letters, digits, '-' and '.', "
            f"start and end with a letter or digit, at most {NAME_CHARS} characters"
        )
    return value


# --- label selectors ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirement:
    """One clause of a label selector: `key op values`."""

    key: str
    op: Literal["=", "!=", "in", "notin", "exists", "!exists"]
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        match self.op:
            case "=" | "in":
                return value in self.values
            case "!=" | "notin":
                return value not in self.values
            case "exists":
                return value is not None
            case _:
                return value is None


_SELECTOR_EXAMPLE = "e.g. `app=web`, `tier!=db`, `env in (prod,staging)`, `canary`, `!canary`"


def parse_selector(value: str) -> tuple[Requirement, ...]:
    """A label selector as kubectl takes it: `app=web,tier!=db,env in (a,b),!canary`."""
    if len(value) > SELECTOR_CHARS:
        raise ValueError(f"the label selector is too long: {too_long('it', len(value), SELECTOR_CHARS)}")
    return tuple(_requirement(part.strip()) for part in _split_requirements(value))


def label_selector(value: str) -> str:
    parse_selector(value)
    return value


def matches(selector: str | None, labels: Mapping[str, str]) -> bool:
    return selector is None or all(r.matches(labels) for r in parse_selector(selector))


def _split_requirements(selector: str) -> list[str]:
    # Commas separate requirements except inside the parentheses of `in (...)`.
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"`{shown(selector)}` has a `)` without a matching `(`")
        elif char == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"`{shown(selector)}` has a `(` that is never closed")
    parts.append(selector[start:])
    return parts


def _requirement(req: str) -> Requirement:
    if not req:
        raise ValueError(f"empty requirement in label selector ({_SELECTOR_EXAMPLE})")
    if req.endswith(")") and "(" in req:
        return _set_requirement(req)
    equals = req.find("=")
    if equals > 0:
        negated = req[equals - 1] == "!"
        key = req[: equals - 1] if negated else req[:equals]
        value = req[equals + 2 :] if not negated and req[equals + 1 : equals + 2] == "=" else req[equals + 1 :]
        key, value = key.strip(), value.strip()
        if not key or _has_space(value):
            raise ValueError(f"`{shown(req)}` is not a label selector requirement ({_SELECTOR_EXAMPLE})")
        return Requirement(_check_key(key), "!=" if negated else "=", (_check_value(value),))
    negated = req.startswith("!")
    key = req[1:] if negated else req
    if not _is_label_key(key):
        raise ValueError(f"`{shown(req)}` is not a label selector requirement ({_SELECTOR_EXAMPLE})")
    return Requirement(key, "!exists" if negated else "exists")


def _set_requirement(req: str) -> Requirement:
    """`key in (a,b)` or `key notin (a,b)`."""
    head, _, inside = req[:-1].partition("(")
    words = head.split()
    if len(words) != 2 or words[1] not in ("in", "notin"):
        raise ValueError(f"`{shown(req)}` is not a label selector requirement ({_SELECTOR_EXAMPLE})")
    values = tuple(_check_value(v.strip()) for v in inside.split(","))
    return Requirement(_check_key(words[0]), "in" if words[1] == "in" else "notin", values)


def _has_space(text: str) -> bool:
    return any(c.isspace() for c in text)


def _is_label_name(name: str) -> bool:
    return (
        0 < len(name) <= LABEL_CHARS
        and name[0] in _ALNUM
        and name[-1] in _ALNUM
        and all(c in _LABEL_NAME_CHARS for c in name)
    )


def _is_label_key(key: str) -> bool:
    """`name` or `prefix/name`, the prefix a DNS subdomain."""
    prefix, slash, name = key.rpartition("/")
    if slash and not (prefix and is_dns_subdomain(prefix)):
        return False
    return _is_label_name(name)


def _check_key(key: str) -> str:
    if not _is_label_key(key):
        raise ValueError(
            f"`{shown(key)}` is not a valid label key: letters, digits, '-', '_' and '.', "
            "optionally prefixed by a DNS name and '/'"
        )
    return key


def _check_value(value: str) -> str:
    if value and not _is_label_name(value):
        raise ValueError(
            f"`{shown(value)}` is not a valid label value: at most {LABEL_CHARS} letters, digits, '-', '_' "
            "or '.', starting and ending with a letter or digit"
        )
    return value


# --- image references -----------------------------------------------------------------------
# The grammar of github.com/distribution/reference, checked part by part:
#   reference := name [":" tag] ["@" digest]     name := [domain "/"] path ("/" path)*
#   domain    := host [":" port]                 path := alnum (separator alnum)*, lowercase
#   separator := "." | "_" | "__" | "-"+         tag  := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
#   digest    := algorithm ":" hex{32,}          algorithm := [A-Za-z][A-Za-z0-9]* ([+._-] …)*

_IMAGE_EXAMPLE = "use [registry[:port]/]name[:tag][@sha256:digest], e.g. `nginx:1.26.0` or `ghcr.io/acme/web@sha256:…`"
_TAG_CHARS = _ALNUM | {"_", ".", "-"}
_SEPARATORS = frozenset({".", "_", "__"})


def _is_path_component(part: str) -> bool:
    if not part or part[0] not in _LOWER_ALNUM or part[-1] not in _LOWER_ALNUM:
        return False
    i = 0
    while i < len(part):
        if part[i] in _LOWER_ALNUM:
            i += 1
            continue
        end = i
        while end < len(part) and part[end] not in _LOWER_ALNUM:
            end += 1
        separator = part[i:end]
        if separator not in _SEPARATORS and separator.strip("-"):
            return False
        i = end
    return True


def _is_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address
        return len(host) > 2 and all(c in _HEX or c == ":" for c in host[1:-1])
    return all(
        part and part[0] in _ALNUM and part[-1] in _ALNUM and all(c in _ALNUM or c == "-" for c in part)
        for part in host.split(".")
    )


def _is_domain(domain: str) -> bool:
    host, colon, port = domain.rpartition(":") if not domain.endswith("]") else ("", "", "")
    if not colon:
        return _is_host(domain)
    return bool(port) and all(c in _DIGITS for c in port) and _is_host(host)


def _is_digest(digest: str) -> bool:
    algorithm, colon, hex_part = digest.partition(":")
    if not colon or len(hex_part) < 32 or not all(c in _HEX for c in hex_part):
        return False
    components = algorithm.replace("+", ".").replace("_", ".").replace("-", ".").split(".")
    return all(c and c[0].isascii() and c[0].isalpha() and all(x in _ALNUM for x in c) for c in components)


def _image_problem(value: str) -> str | None:
    """What is wrong with an image reference, or None when it is right."""
    rest, at, digest = value.partition("@")
    if at and not _is_digest(digest):
        return f"the digest `{shown(digest)}` is not ALGORITHM:HEX (e.g. `sha256:` and 64 hex digits)"
    slash, colon = rest.rfind("/"), rest.rfind(":")
    name, tag = (rest[:colon], rest[colon + 1 :]) if colon > slash else (rest, None)
    if tag is not None and not (
        0 < len(tag) <= 128 and (tag[0] in _ALNUM or tag[0] == "_") and all(c in _TAG_CHARS for c in tag)
    ):
        return (
            f"the tag `{shown(tag)}` may have only letters, digits, '_', '.' and '-' "
            "(at most 128, not starting with '.' or '-')"
        )
    if len(name) > IMAGE_NAME_CHARS:
        return f"the name is too long: {too_long('it', len(name), IMAGE_NAME_CHARS)}"
    parts = name.split("/")
    paths = parts[1:] if len(parts) > 1 and _is_domain(parts[0]) else parts  # the first may be a registry
    bad = next((p for p in paths if not _is_path_component(p)), None)
    if bad is not None:
        part = "its name" if bad == value else f"its name part `{shown(bad)}`"
        return f"{part} may have only lowercase letters and digits, separated by '.', '_', '__' or dashes"
    return None


def image_reference(value: str) -> str:
    """A container image reference: [registry[:port]/]name[:tag][@digest], as the runtime parses it."""
    if len(value) > IMAGE_CHARS:
        raise ValueError(f"`{shown(value)}` is not an image reference: {too_long('it', len(value), IMAGE_CHARS)}")
    problem = _image_problem(value)
    if problem is not None:
        raise ValueError(f"`{shown(value)}` is not an image reference: {problem}; {_IMAGE_EXAMPLE}")
    return value


_OBJECT_NAME_CHARS = _ALNUM | {"-", ".", ":", "_", "@"}


def object_name(value: str) -> str:
    """The name of any object (RBAC roles may hold `:`, events `.`): checked by length, then characters."""
    if len(value) > NAME_CHARS:
        raise ValueError(f"`{shown(value)}` is not an object name: {too_long('it', len(value), NAME_CHARS)}")
    if not value or not all(c in _OBJECT_NAME_CHARS for c in value) or value in (".", ".."):
        raise ValueError(f"`{shown(value)}` is not an object name: use letters, digits, '-', '.', ':' and '_'")
    return value


def workload_ref(value: str) -> str:
    """`NAME` (a Deployment) or `KIND/NAME` with kubectl's names for the kind: `sts/db`, `ds/agent`,
    `cronjob/report`. Returned with the kind lowercased."""
    if len(value) > MAX_KIND + 1 + NAME_CHARS:
        raise ValueError(f"`{shown(value)}` is not `NAME` or `KIND/NAME`: it is too long")
    kind, slash, name = value.partition("/")
    if not slash:
        return dns_subdomain(value)
    found = built_in(kind)
    if found is None or found.plural not in WORKLOAD_KINDS:
        raise ValueError(
            f"`{shown(kind)}/` is not a workload kind: use `deploy/NAME`, `sts/NAME`, `ds/NAME` or `cronjob/NAME`"
        )
    return f"{kind.lower()}/{dns_subdomain(name)}"


WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets", "cronjobs")


def split_workload(value: str) -> tuple[str, str]:
    """(plural, name) of a validated workload reference; a bare name is a Deployment."""
    kind, slash, name = value.partition("/")
    if not slash:
        return "deployments", value
    found = built_in(kind)
    assert found is not None
    return found.plural, name


DnsLabel = Annotated[str, AfterValidator(dns_label)]
DnsSubdomain = Annotated[str, AfterValidator(dns_subdomain)]
LabelSelector = Annotated[str, AfterValidator(label_selector)]
ImageReference = Annotated[str, AfterValidator(image_reference)]
ObjectName = Annotated[str, AfterValidator(object_name)]
WorkloadRef = Annotated[str, AfterValidator(workload_ref)]


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration_seconds(value: str, *, at_most: float = LONGEST_SECONDS) -> float:
    """`90s`, `30m`, `2h`, `1d`, `1w`, or a sum of them (`1h30m`), as seconds."""
    text = value.strip()
    if not text or len(text) > 32:
        raise ValueError(f"`{shown(value)}` is not a duration: use e.g. `30m`, `2h`, `1d` or `1h30m`")
    total, number = 0, ""
    for ch in text:
        if ch.isdigit() and ch.isascii():
            number += ch
        elif ch in _DURATION_UNITS and number:
            total, number = total + int(number) * _DURATION_UNITS[ch], ""
        else:
            raise ValueError(f"`{shown(value)}` is not a duration: use e.g. `30m`, `2h`, `1d` or `1h30m`")
    if number or total <= 0:
        raise ValueError(f"`{shown(value)}` is not a duration: use e.g. `30m`, `2h`, `1d` or `1h30m`")
    if total > at_most:
        raise ValueError(f"`{shown(value)}` is too long: at most {duration_text(at_most)}")
    return float(total)


def duration_text(seconds: float) -> str:
    """A span as `duration_seconds` reads it, to the minute: `45s`, `25m`, `2h10m`, `3d4h`."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    parts = ((s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"))
    return "".join(f"{n}{unit}" for n, unit in parts if n)
