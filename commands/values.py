"""Validated value types for action fields: Kubernetes names, label selectors, counts.

Each validator raises `ValueError` with a message that says what would be right; the parser
turns it into a `UsageError` naming the option the person typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from commands.kinds import MAX_KIND, built_in

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Label keys: optional DNS-subdomain prefix + "/" + name of alphanumerics, '-', '_', '.'.
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}$")
_LABEL_VALUE = re.compile(rf"^({_LABEL_NAME})?$")


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(_DNS_SUBDOMAIN.match(value))


def dns_label(value: str) -> str:
    """Namespaces and container names: RFC 1123 labels."""
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"`{value}` is not a valid name: use lowercase letters, digits and '-', "
            "start and end with a letter or digit, at most 63 characters"
        )
    return value


def dns_subdomain(value: str) -> str:
    """Pods, Deployments, Nodes: RFC 1123 subdomains."""
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"`{value}` is not a valid name: use lowercase letters, digits, '-' and '.', "
            "start and end with a letter or digit, at most 253 characters"
        )
    return value


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


def parse_selector(value: str) -> tuple[Requirement, ...]:
    """A label selector as kubectl takes it: `app=web,tier!=db,env in (a,b),!canary`."""
    return tuple(_requirement(part.strip()) for part in _split_requirements(value))


def label_selector(value: str) -> str:
    parse_selector(value)
    return value


def matches(selector: str | None, labels: Mapping[str, str]) -> bool:
    return selector is None or all(r.matches(labels) for r in parse_selector(selector))


def _split_requirements(selector: str) -> list[str]:
    # Commas separate requirements except inside the parentheses of `in (...)`.
    parts: list[str] = []
    depth, current = 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"`{selector}` has a `)` without a matching `(`")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if depth:
        raise ValueError(f"`{selector}` has a `(` that is never closed")
    parts.append(current)
    return parts


_SET_REQUIREMENT = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")
_EQUALITY = re.compile(r"^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$")


def _requirement(req: str) -> Requirement:
    example = "e.g. `app=web`, `tier!=db`, `env in (prod,staging)`, `canary`, `!canary`"
    if not req:
        raise ValueError(f"empty requirement in label selector ({example})")
    if m := _SET_REQUIREMENT.match(req):
        values = tuple(_check_value(v.strip()) for v in m.group(3).split(","))
        return Requirement(_check_key(m.group(1)), m.group(2), values)  # type: ignore[arg-type]
    if m := _EQUALITY.match(req):
        op: Literal["=", "!="] = "!=" if m.group(2) == "!=" else "="
        return Requirement(_check_key(m.group(1)), op, (_check_value(m.group(3)),))
    negated = req.startswith("!")
    key = req[1:] if negated else req
    if not _LABEL_KEY.match(key):
        raise ValueError(f"`{req}` is not a label selector requirement ({example})")
    return Requirement(key, "!exists" if negated else "exists")


def _check_key(key: str) -> str:
    if not _LABEL_KEY.match(key):
        raise ValueError(
            f"`{key}` is not a valid label key: letters, digits, '-', '_' and '.', "
            "optionally prefixed by a DNS name and '/'"
        )
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise ValueError(
            f"`{value}` is not a valid label value: at most 63 letters, digits, '-', '_' "
            "or '.', starting and ending with a letter or digit"
        )
    return value


_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*(?::[\w][\w.-]{{0,127}})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}})?$"
)


def image_reference(value: str) -> str:
    """A container image reference: [registry[:port]/]name[:tag][@digest], as the runtime parses it."""
    if len(value) > 512 or not _IMAGE.match(value):
        raise ValueError(
            f"`{value}` is not an image reference: use [registry[:port]/]name[:tag][@sha256:digest], "
            "lowercase name, e.g. `nginx:1.26.0` or `ghcr.io/acme/web@sha256:…`"
        )
    return value


MAX_OBJECT_NAME = 253
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.:_@ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def object_name(value: str) -> str:
    """The name of any object (RBAC roles may hold `:`, events `.`): checked by length, then characters."""
    if not value or len(value) > MAX_OBJECT_NAME or not set(value) <= _NAME_CHARACTERS or value in (".", ".."):
        raise ValueError(
            f"`{value[:80]}` is not an object name: at most {MAX_OBJECT_NAME} letters, digits, '-', '.', ':', '_'"
        )
    return value


def workload_ref(value: str) -> str:
    """`NAME` (a Deployment) or `KIND/NAME` with kubectl's names for the kind: `sts/db`, `ds/agent`,
    `cronjob/report`. Returned with the kind lowercased."""
    if len(value) > MAX_KIND + 1 + 253:
        raise ValueError("too long for `[KIND/]NAME`")
    kind, slash, name = value.partition("/")
    if not slash:
        return dns_subdomain(value)
    found = built_in(kind)
    if found is None or found.plural not in WORKLOAD_KINDS:
        raise ValueError(
            f"`{kind[:40]}/` is not a workload kind: use `deploy/NAME`, `sts/NAME`, `ds/NAME` or `cronjob/NAME`"
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
