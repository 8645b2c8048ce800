"""Every error Pilothouse shows to a person.

Messages are written for the person in the chat: what was wrong, and what would be right.
Adapters translate library errors (kubernetes, redis) into these once, at the edge, so
nothing in the core knows a client library's exception types.

    PilothouseError
    ├── ParseError               the text could not be turned into an action
    │   ├── UnknownCommand       no command starts with these words
    │   └── UsageError           a known command with wrong arguments (carries the usage)
    ├── PolicyDenied             the policy refused the action (says by which rule, and what is needed)
    ├── ConfigError              settings or policy file are wrong
    ├── StoreUnavailable         the state store (Redis) cannot be used
    ├── AuditUnavailable         a change refused because its audit record cannot be kept
    ├── TimedOut                 the request ran past its time budget (PILOTHOUSE_REQUEST_BUDGET)
    └── ClusterError             Kubernetes said no, or could not be reached
        ├── UnknownCluster       no cluster by that name is configured
        ├── UnknownKind          the cluster serves no resource by that name (discovery)
        ├── NotFound             404
        ├── Forbidden            403 (Kubernetes RBAC)
        ├── Invalid              400/422: the API server rejected the request
        ├── Conflict             409: the object changed meanwhile
        └── Unreachable          connection refused, TLS failure, timeout, 5xx
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class PilothouseError(Exception):
    """Base of all errors meant for people. `hint` says what would be right."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ParseError(PilothouseError):
    """The text could not be turned into an action."""


class UnknownCommand(ParseError):
    def __init__(self, words: str, suggestions: Sequence[str] = ()) -> None:
        self.words = words
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            hint = "Did you mean " + " or ".join(f"`{s}`" for s in self.suggestions) + "?"
        else:
            hint = "Type `help` to see the commands."
        super().__init__(f"Unknown command `{words}`.", hint=hint)


class UsageError(ParseError):
    """A known command was given the wrong arguments. `usage` is the command's synopsis."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        self.usage = usage
        super().__init__(message, hint=f"Usage: `{usage}`" if usage else None)


class MissingArguments(UsageError):
    """A known command lacks positional arguments: the chat may ask for them."""

    def __init__(
        self, message: str, *, usage: str, command: str, missing: tuple[str, ...], given: dict[str, Any]
    ) -> None:
        self.command = command  # what was typed, normalised: the answer is appended to it
        self.missing = missing  # the metavars, in order, e.g. ("IMAGE",)
        self.given = given  # the arguments bound so far, by param name
        super().__init__(message, usage=usage)


class PolicyDenied(PilothouseError):
    def __init__(self, message: str, *, rule: str, hint: str | None = None) -> None:
        self.rule = rule
        super().__init__(message, hint=hint or f"Decided by policy rule `{rule}`.")


class ConfigError(PilothouseError):
    """Settings, kubeconfig or policy file are wrong; raised at start-up, before any chat."""


class ClusterError(PilothouseError):
    status: int | None = None  # the Kubernetes API status code, where there was one

    def __init__(self, message: str, *, cluster: str, hint: str | None = None, status: int | None = None) -> None:
        self.cluster = cluster
        if status is not None:
            self.status = status
        super().__init__(message, hint=hint)


class UnknownCluster(ClusterError):
    def __init__(self, cluster: str, known: Sequence[str]) -> None:
        self.known = tuple(known)
        listed = ", ".join(f"`{k}`" for k in known) or "none"
        super().__init__(
            f"No cluster named `{cluster}` is configured.",
            cluster=cluster,
            hint=f"Known clusters: {listed}.",
        )


class UnknownKind(ClusterError):
    def __init__(self, word: str, *, cluster: str, suggestions: Sequence[str] = ()) -> None:
        self.word = word
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            hint = "Did you mean " + " or ".join(f"`{s}`" for s in self.suggestions) + "?"
        else:
            hint = "`get crd` lists the custom resources it has; kubectl's names work: `pods`, `sts`, `svc`, `cm`."
        super().__init__(f"Cluster `{cluster}` has no resource type `{word}`.", cluster=cluster, hint=hint)


class NotFound(ClusterError):
    status = 404

    def __init__(
        self,
        kind: str,
        name: str,
        *,
        namespace: str | None,
        cluster: str,
        suggestions: Sequence[str] = (),
    ) -> None:
        self.kind, self.name, self.namespace = kind, name, namespace
        self.suggestions = tuple(suggestions)
        where = f" in namespace `{namespace}`" if namespace else ""
        hint = None
        if self.suggestions:
            hint = "Similar names: " + ", ".join(f"`{s}`" for s in self.suggestions) + "."
        super().__init__(f"{kind} `{name}` not found{where} on cluster `{cluster}`.", cluster=cluster, hint=hint)

    def with_suggestions(self, suggestions: Sequence[str]) -> NotFound:
        return NotFound(
            self.kind,
            self.name,
            namespace=self.namespace,
            cluster=self.cluster,
            suggestions=suggestions,
        )


class Forbidden(ClusterError):
    """403 from Kubernetes RBAC: which verb, resource and namespace, for which identity, and
    what is missing. `impersonated`: the identity was the person's own (the policy allowed it,
    Kubernetes did not); `reason` is a SubjectAccessReview's, when one was asked first."""

    status = 403

    def __init__(
        self,
        *,
        verb: str,
        resource: str,
        namespace: str | None,
        cluster: str,
        user: str | None = None,
        groups: Sequence[str] = (),
        impersonated: bool = False,
        reason: str | None = None,
    ) -> None:
        self.verb, self.resource, self.namespace, self.user = verb, resource, namespace, user
        self.groups, self.impersonated = tuple(groups), impersonated
        scope = f"in namespace `{namespace}`" if namespace else "cluster-wide"
        who = f" for `{user}`" if user else ""
        if self.groups:
            who += f" (groups {', '.join(f'`{g}`' for g in self.groups)})"
        binding = "a RoleBinding" if namespace else "a ClusterRoleBinding"
        if impersonated:
            hint = (
                f"Pilothouse's policy allowed it; Kubernetes RBAC did not. Missing: {binding} that grants "
                f"`{verb}` on `{resource}`{f' in namespace `{namespace}`' if namespace else ''} to user `{user}` "
                "or one of its groups. A cluster admin can add it."
            )
        else:
            hint = f"Missing: {binding} that grants `{verb}` on `{resource}` to that identity (Kubernetes RBAC)."
        if reason:
            hint += f" (Kubernetes says: {reason})"
        super().__init__(
            f"Kubernetes refused to {verb} {resource} {scope} on cluster `{cluster}`{who}.",
            cluster=cluster,
            hint=hint,
        )


class Invalid(ClusterError):
    """The API server rejected the request itself (400 or 422)."""

    status = 422


class Conflict(ClusterError):
    """409: someone else changed the object between our read and our write."""

    status = 409


class Unreachable(ClusterError):
    def __init__(self, cluster: str, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"Cluster `{cluster}` could not be reached: {reason}.",
            cluster=cluster,
            hint="Check that the API server is up and the kubeconfig points at it; "
            "`clusters` shows each cluster's state.",
        )


class StoreUnavailable(PilothouseError):
    """The state store (Redis) could not be reached or answered with an error."""


class AuditUnavailable(PilothouseError):
    """A change was refused: its audit record could not be written first."""


class TimedOut(PilothouseError):
    """The request ran past its time budget; what it had not done yet is not done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"This took longer than {seconds:g} s, so Pilothouse stopped it.",
            hint="Try a narrower request (`-n NAMESPACE`, `-l SELECTOR`, `--tail N`), or ask an admin to raise "
            "PILOTHOUSE_REQUEST_BUDGET.",
        )
