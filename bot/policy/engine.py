"""The one decision: `Policy.authorise(subject, request) -> Decision`.

Everything that asks "may this happen?" asks here: the pipeline for every command, help and
whoami for what to show, buttons and reactions, digest schedules, a scheduled digest when it
fires, the digest CLI. The order is fixed and short:

1. the channel must be one Pilothouse is enabled in (`PILOTHOUSE_SLACK_CHANNELS`);
2. a deny rule that applies wins over everything;
3. commands about Pilothouse itself (help, whoami, use, yes/no) are open to our own people;
4. the first binding (in file order) whose role covers the request, within the role's limits;
5. reads for everyone, unless the file turns that default off;
6. anything else is denied, saying what would be needed and who can grant it.

An allowed change is then held to what stands in its way, in this order: a deploy lock on its
workload held by someone else (`Request.lock`: denied, unless it is `lock --steal`); an active
change freeze (`Request.at`: a deny freeze refuses it, or with `--break-glass` it needs the
freeze's break-glass approval; an approval freeze needs approval); and the approval rules. Of
the approvals that apply, the one needing most approvals wins, a freeze's on a tie. An allowed
request that an approval rule matches needs approval instead ([approvals] acts on it).

A cluster-wide request for namespaced objects (`get pods -A`, `status`) is decided once for the
cluster, then each namespace it reaches is decided again as it is read (the cluster view drops
what the person may not read), so a deny rule on one namespace cannot be crossed with `-A`.

Decisions run on the ack path, so they never do I/O: groups are resolved before, into the
Subject, and bindings are indexed by subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from bot.locks.record import STEAL, Lock
from bot.policy.freezes import Freeze, break_glass_rule
from bot.policy.globs import ANY, Globs
from bot.policy.images import repository
from bot.policy.schema import DirectMessages
from bot.policy.subject import EVERYONE, EXTERNAL, Subject, is_direct_message
from bot.policy.windows import Occurrence, shown
from commands.registry import Access
from commands.values import duration_text

Outcome = Literal["allow", "deny", "needs_approval"]
RuleKind = Literal["binding", "deny", "approval", "limit", "default", "builtin", "freeze", "lock"]

CHANNEL_ALLOW_LIST = "channel-allow-list"
META_COMMANDS = "about-pilothouse"
READS_FOR_EVERYONE = "reads-for-everyone"
EXTERNAL_USERS = "external-users"
DEFAULT_DENY = "default-deny"
DEPLOY_LOCK = "deploy-lock"


@dataclass(frozen=True, slots=True)
class Request:
    """What is asked, and where. `cluster` None: not about one cluster (help, audit); with a
    cluster, `namespace` None is cluster-wide (`-A`, nodes) unless `whole_cluster` says it is
    not (a command that names a cluster but reads nothing in it: `audit --cluster`).
    `anywhere`: allowed on some cluster, somewhere?"""

    command: str
    access: Access
    channel: str
    cluster: str | None = None
    namespace: str | None = None
    replicas: int | None = None
    image: str | None = None
    anywhere: bool = False
    whole_cluster: bool | None = None
    destructive: bool = False  # the command's spec says it must be confirmed (scale to 0, cordon, …)
    any_kind: bool = False  # `command` is `get`/`describe` with any kind after it (help's question)
    ballot: Ballot | None = None  # a vote on a waiting request: may this person cast it?
    app: str | None = None  # the workload a change names (`web` for `sts/web` too): freezes' `apps`
    at: datetime | None = None  # when it is asked (the pipeline's clock): freezes; None: none apply
    lock: Lock | None = None  # the deploy lock on that workload, as the pipeline read it
    break_glass: bool = False  # `--break-glass`: let a deny freeze's break-glass approvers decide

    @property
    def cluster_wide(self) -> bool:
        if self.whole_cluster is not None:
            return self.whole_cluster
        return self.cluster is not None and self.namespace is None and not self.anywhere

    def in_namespace(self, namespace: str) -> Request:
        return replace(self, namespace=namespace)

    def where(self) -> str:
        if self.anywhere or self.cluster is None:
            return ""
        if self.namespace is None and not self.cluster_wide:
            return f" on `{self.cluster}`"
        scope = f"in namespace `{self.namespace}`" if self.namespace else "cluster-wide"
        return f" {scope} on `{self.cluster}`"


CONFIRM_RULE = "confirm-first"  # the built-in requirement of a destructive change: its requester's own `yes`
CONFIRM_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Approval:
    """What a request needs before it runs: `count` approvals from `approvers` (user IDs, file
    groups, Slack user groups), refused at `deny_count` denials, alive for `ttl` seconds.
    `self_approval`: whether the requester's own vote counts (not by default)."""

    rule: str
    approvers: tuple[str, ...]
    count: int
    deny_count: int = 1
    ttl: float = 3600.0
    self_approval: bool = False

    @classmethod
    def confirmation(cls, requester: str) -> Approval:
        """Today's `yes`: one approval, by the requester, within two minutes."""
        return cls(CONFIRM_RULE, (requester,), 1, 1, CONFIRM_SECONDS, self_approval=True)

    @property
    def is_confirmation(self) -> bool:
        """The simplest case: a destructive change waiting for its requester's own `yes`."""
        return self.rule == CONFIRM_RULE


@dataclass(frozen=True, slots=True)
class Ballot:
    """A vote on a waiting request (`approve`, `deny`, a button, a reaction): whether the voter
    may cast it is decided by `authorise`, at the moment of the vote, against the policy in
    force then and the voter's groups then."""

    rule: str  # the approval rule the request waits on (CONFIRM_RULE: its requester's `yes`)
    requester: str


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    rule: str  # the name of the rule or binding that decided
    by: RuleKind
    reason: str
    needed: tuple[str, ...] = ()  # what would allow it
    grantors: tuple[str, ...] = ()  # who can grant that
    approval: Approval | None = None
    hint: str | None = None  # what to do about it, where the rule knows better than a binding

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"

    @property
    def decided_by(self) -> str:
        names = {
            "binding": "binding",
            "deny": "deny rule",
            "approval": "approval rule",
            "limit": "binding",
            "freeze": "freeze",
            "lock": "deploy lock",
        }
        return f"{names.get(self.by, 'rule')} `{self.rule}`"


NO_NAMES = Globs.parse([])


@dataclass(frozen=True, slots=True)
class Commands:
    """Which commands a role, deny or approval rule names: by access class (`read`, `write`,
    `audit`), or by name with `*` globs. Names are what the policy sees: a command's own name, or
    for the kind commands the kind's canonical plural too (`get statefulsets`, `get certificates`)."""

    classes: frozenset[str] = frozenset()
    names: Globs = NO_NAMES

    def match(self, request: Request) -> bool:
        if request.access in self.classes:
            return True
        if request.any_kind:  # `get` followed by some kind: could any name here be that?
            prefix = request.command + " "
            return any(g.could_start_with(prefix) for g in self.names.items)
        return self.names.match(request.command)

    def every_kind(self, request: Request) -> bool:
        """Whether this covers `command` with every kind after it (a deny rule that hides `get`)."""
        return request.access in self.classes or self.names.anything or self.names.match(request.command + " *")

    @property
    def everything(self) -> bool:
        return self.names.anything or self.classes >= {"read", "write", "audit"}

    def describe(self) -> str:
        """In words, for whoami and check-config: `every read command, deploy, scale`."""
        if self.everything:
            return "every command"
        words = {"read": "every read command", "write": "every change", "audit": "the audit trail"}
        found = [words[c] for c in ("read", "write", "audit") if c in self.classes]
        return ", ".join([*found, *(g.pattern for g in self.names.items)])


EVERY_COMMAND = Commands(names=Globs.parse(["*"]))


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    commands: Commands
    clusters: Globs = ANY
    namespaces: Globs = ANY
    cluster_wide: bool = False
    max_replicas: int | None = None
    images: Globs | None = None
    owner: str | None = None
    description: str | None = None

    def covers(self, request: Request) -> bool:
        if not self.commands.match(request):
            return False
        if request.anywhere or request.cluster is None:
            return True
        if not self.clusters.match(request.cluster):
            return False
        if request.namespace is None:
            return self.cluster_wide or not request.cluster_wide
        return self.namespaces.match(request.namespace)

    def limits(self) -> str:
        """What the role is limited to, in words (whoami, check-config)."""
        found = [f"at most {self.max_replicas} replicas"] if self.max_replicas is not None else []
        if self.images is not None:
            found.append(f"images {self.images}")
        found.append("cluster-wide too" if self.cluster_wide else "not cluster-wide (-A, nodes)")
        return "; ".join(found)

    def over_limit(self, request: Request) -> str | None:
        """Why the request is outside this role's limits, or None."""
        if request.replicas is not None and self.max_replicas is not None and request.replicas > self.max_replicas:
            return f"{request.replicas} replicas is over the limit of role `{self.name}` (at most {self.max_replicas})"
        if request.image is not None and self.images is not None:
            repo = repository(request.image)
            if not self.images.match(repo):
                return f"image `{repo}` is not one role `{self.name}` may deploy (allowed: {self.images})"
        return None


@dataclass(frozen=True, slots=True)
class Binding:
    name: str
    subjects: tuple[str, ...]
    roles: tuple[Role, ...]
    channels: frozenset[str] | None = None
    direct_messages: DirectMessages = "read"

    def counts_in(self, request: Request) -> bool:
        if request.anywhere and self.channels is None:
            return True
        if is_direct_message(request.channel):
            return self.direct_messages == "all" or (self.direct_messages == "read" and request.access != "write")
        return self.channels is None or request.channel in self.channels

    def where(self) -> str:
        places = "any channel" if self.channels is None else "channels " + ", ".join(sorted(self.channels))
        dms = {"none": "not in direct messages", "read": "reads only in direct messages", "all": "direct messages too"}
        return f"{places}; {dms[self.direct_messages]}"


@dataclass(frozen=True, slots=True)
class DenyRule:
    name: str
    commands: Commands
    reason: str | None = None
    subjects: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    clusters: Globs = ANY
    namespaces: Globs = ANY

    def applies(self, keys: frozenset[str], request: Request) -> bool:
        if request.any_kind:
            if not self.commands.every_kind(request):
                return False
        elif not self.commands.match(request):
            return False
        if self.subjects is not None and not (self.subjects & keys):
            return False
        if self.channels is not None and request.channel not in self.channels:
            return False
        everywhere = self.clusters.anything and self.namespaces.anything
        if request.anywhere or request.cluster is None:
            return everywhere
        if not self.clusters.match(request.cluster):
            return False
        if request.namespace is None:
            # Cluster-wide: a rule for some namespaces is enforced as each namespace is read.
            return self.namespaces.anything
        return self.namespaces.match(request.namespace)


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    name: str
    commands: Commands
    approvers: tuple[str, ...]
    count: int
    clusters: Globs = ANY
    namespaces: Globs = ANY
    destructive: bool | None = None  # only destructive requests (True), only the others (False)
    deny_count: int = 1
    ttl: float = 3600.0
    self_approval: bool = False

    @property
    def approval(self) -> Approval:
        return Approval(self.name, self.approvers, self.count, self.deny_count, self.ttl, self.self_approval)

    def applies(self, request: Request) -> bool:
        if request.anywhere or request.cluster is None or not self.commands.match(request):
            return False
        if self.destructive is not None and request.destructive != self.destructive:
            return False
        if not self.clusters.match(request.cluster):
            return False
        return request.namespace is None or self.namespaces.match(request.namespace)


@dataclass(frozen=True)
class Policy:
    """A compiled policy: build it with `bot.policy.load` (a file) or `Policy.builtin`."""

    bindings: tuple[Binding, ...] = ()
    deny: tuple[DenyRule, ...] = ()
    approvals: tuple[ApprovalRule, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    reads_for_everyone: bool = True
    channels: frozenset[str] = frozenset()  # the allow-list; empty: every channel
    source: str = "built-in"
    _index: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[int]] = {}
        for i, binding in enumerate(self.bindings):
            for subject in binding.subjects:
                index.setdefault(subject, []).append(i)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    # --- who ---------------------------------------------------------------------------------

    @property
    def usergroups(self) -> frozenset[str]:
        """The Slack user groups (S…) this policy names: only these are ever resolved."""
        named = {s for b in self.bindings for s in b.subjects}
        named |= {s for members in self.groups.values() for s in members}
        named |= {s for d in self.deny for s in d.subjects or ()}
        named |= {s for a in self.approvals for s in a.approvers}
        named |= {s for f in self.freezes for a in (f.approval, f.break_glass) if a for s in a.approvers}
        return frozenset(s for s in named if s.startswith("S"))

    def groups_of(self, user: str, in_usergroup: Callable[[str], bool]) -> frozenset[str]:
        slack = {group for group in self.usergroups if in_usergroup(group)}
        found = set(slack)
        for name, members in self.groups.items():
            if user in members or members & slack:
                found.add(name)
        return frozenset(found)

    def channel_enabled(self, channel: str) -> bool:
        """The allow-list: direct messages always reach Pilothouse (the policy still decides)."""
        return not self.channels or channel in self.channels or is_direct_message(channel)

    @staticmethod
    def _keys(subject: Subject, request: Request) -> tuple[frozenset[str], frozenset[str]]:
        """(what bindings match on, what deny rules match on)."""
        if subject.external:
            return frozenset((EXTERNAL,)), frozenset((subject.id, EXTERNAL, request.channel, *subject.groups))
        keys = frozenset((subject.id, EVERYONE, request.channel, *subject.groups))
        return keys, keys

    # --- the decision ------------------------------------------------------------------------

    def authorise(self, subject: Subject, request: Request) -> Decision:
        if not self.channel_enabled(request.channel):
            reason = f"Pilothouse is not enabled in channel {request.channel} (PILOTHOUSE_SLACK_CHANNELS)"
            return Decision("deny", CHANNEL_ALLOW_LIST, "builtin", reason)
        grant_keys, deny_keys = self._keys(subject, request)
        for rule in self.deny:
            if rule.applies(deny_keys, request):
                return Decision("deny", rule.name, "deny", rule.reason or "a deny rule forbids it")
        if request.ballot is not None:
            return self._vote(subject, request.ballot)
        if request.access == "meta" and not subject.external:
            return Decision("allow", META_COMMANDS, "builtin", "commands about Pilothouse itself are open")
        decision = self._granted(grant_keys, subject, request)
        if decision.allowed:
            return self._in_the_way(subject, request) or decision
        return decision

    def grants(self, subject: Subject, channel: str) -> list[tuple[Binding, Role, bool]]:
        """What the subject's bindings give here: (binding, role, changes count here too), for
        whoami. The same matching as `authorise` (who, and where the binding counts)."""
        reads = Request("", "read", channel, anywhere=True)
        writes = Request("", "write", channel, anywhere=True)
        keys, _ = self._keys(subject, reads)
        return [
            (binding, role, binding.counts_in(writes))
            for binding in self._candidates(keys)
            if binding.counts_in(reads)
            for role in binding.roles
        ]

    def denials(self, subject: Subject, channel: str) -> list[DenyRule]:
        """The deny rules that apply to this subject here (for whoami)."""
        _, keys = self._keys(subject, Request("", "read", channel))
        return [
            rule
            for rule in self.deny
            if (rule.subjects is None or rule.subjects & keys) and (rule.channels is None or channel in rule.channels)
        ]

    def _candidates(self, keys: Iterable[str]) -> list[Binding]:
        found: set[int] = set()
        for key in keys:
            found.update(self._index.get(key, ()))
        return [self.bindings[i] for i in sorted(found)]

    def _granted(self, keys: frozenset[str], subject: Subject, request: Request) -> Decision:
        limited: Decision | None = None
        for binding in self._candidates(keys):
            if not binding.counts_in(request):
                continue
            for role in binding.roles:
                if not role.covers(request):
                    continue
                problem = role.over_limit(request)
                if problem is None:
                    return Decision("allow", binding.name, "binding", f"role `{role.name}`")
                limited = limited or Decision(
                    "deny", binding.name, "limit", problem, grantors=(role.owner,) if role.owner else ()
                )
        if limited is not None:
            return limited
        if self.reads_for_everyone and request.access == "read" and not subject.external:
            return Decision("allow", READS_FOR_EVERYONE, "default", "reads are open to everyone")
        if subject.external:
            reason = "you are not a member of this workspace; the policy grants external people nothing"
            return Decision("deny", EXTERNAL_USERS, "builtin", reason, needed=("a binding to the `external` group",))
        # What would be needed is worked out only when a refusal is explained (`needed`), not here:
        # this is the ack path, and that takes a look at every binding.
        return Decision("deny", DEFAULT_DENY, "default", "no binding grants it to you here")

    def needed(self, request: Request) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the bindings that would allow this request, who can grant them: their roles' owners)."""
        found: list[tuple[str, str | None]] = []
        for binding in self.bindings:
            for role in binding.roles:
                if role.covers(request) and role.over_limit(request) is None:
                    who = ", ".join(binding.subjects)
                    text = f"role `{role.name}`, granted by binding `{binding.name}` to {who} ({binding.where()})"
                    found.append((text, role.owner))
        found = found[:3]
        return tuple(text for text, _ in found), tuple(dict.fromkeys(owner for _, owner in found if owner))

    def _in_the_way(self, subject: Subject, request: Request) -> Decision | None:
        """What stands between an allowed request and running it: a lock, a freeze, approvals."""
        if request.access != "write":
            return self._approval(request)
        locked = self._locked(subject, request)
        if locked is not None:
            return locked
        active = [
            (f, w)
            for f in self.freezes
            if request.at is not None and f.applies(request)
            for w in (f.active(request.at),)
            if w is not None
        ]
        denying = [(f, w) for f, w in active if f.effect == "deny"]
        if denying:
            return self._frozen(request, denying)
        # The stricter requirement wins; on a tie the freeze's (listed first; max keeps the first).
        candidates = [
            _needs(f.approval, "freeze", f"the freeze `{f.name}` is on: {f.reason}")
            for f, _ in active
            if f.approval is not None
        ]
        rule = self._approval(request)
        candidates += [rule] if rule is not None else []
        return max(candidates, key=lambda d: d.approval.count if d.approval else 0) if candidates else None

    def _locked(self, subject: Subject, request: Request) -> Decision | None:
        lock = request.lock
        if lock is None or lock.owner == subject.id or request.command == STEAL or not lock.live(request.at):
            return None
        held = ""
        if request.at is not None:
            since, left = (request.at - lock.since).total_seconds(), (lock.expires - request.at).total_seconds()
            held = f" {duration_text(since)} ago, for {duration_text(left)} more"
        why = f": {lock.reason}" if lock.reason else " (no reason given)"
        reason = f"`{lock.ref}` is locked by {lock.label}{held}{why}"
        until = f"{lock.expires:%Y-%m-%d %H:%M} UTC"
        hint = (
            f"Wait until {lock.label} runs `unlock {lock.ref}` or the lock expires ({until}); "
            f"`lock {lock.ref} --steal` takes it over, if the policy lets you (command `{STEAL}`)."
        )
        return Decision("deny", DEPLOY_LOCK, "lock", reason, hint=hint)

    def _frozen(self, request: Request, denying: list[tuple[Freeze, Occurrence]]) -> Decision:
        """A deny freeze is on: refused, or with `--break-glass`, its break-glass approval."""
        unbreakable = [(f, w) for f, w in denying if f.break_glass is None]
        if request.break_glass and not unbreakable:
            freeze, _ = max(denying, key=lambda fw: fw[0].break_glass.count if fw[0].break_glass else 0)
            assert freeze.break_glass is not None
            reason = f"the freeze `{freeze.name}` is on ({freeze.reason}); breaking it needs approval"
            return _needs(freeze.break_glass, "freeze", reason)
        freeze, window = (unbreakable or denying)[0]
        reason = f"the freeze `{freeze.name}` is on until {shown(window.end, window.zone)}: {freeze.reason}"
        if freeze.break_glass is None:
            hint = (
                f"Freeze `{freeze.name}` has no break-glass in the policy, so nothing lets a change through "
                "until it ends; `freezes` shows when."
            )
        elif request.break_glass:
            hint = "Not broken: another freeze that is on has no break-glass."
        else:
            who, n = ", ".join(freeze.break_glass.approvers), freeze.break_glass.count
            hint = (
                f"To break glass, run it again with `--break-glass --reason TEXT`: it then waits for {n} "
                f"approval(s) from {who} (rule `{break_glass_rule(freeze.name)}`)."
            )
        return Decision("deny", freeze.name, "freeze", reason, hint=hint)

    def _approval(self, request: Request) -> Decision | None:
        for rule in self.approvals:
            if rule.applies(request):
                who = ", ".join(rule.approvers)
                return _needs(rule.approval, "approval", f"it needs {rule.count} approval(s) from {who}")
        return None

    def approval_rule(self, name: str) -> Approval | None:
        """What the named rule requires now (a reloaded policy may have changed or dropped it):
        an approval rule, an approval freeze, or a freeze's `<freeze>/break-glass`."""
        rules = [rule.approval for rule in self.approvals]
        rules += [a for f in self.freezes for a in (f.approval, f.break_glass) if a is not None]
        return next((a for a in rules if a.rule == name), None)

    def _vote(self, subject: Subject, ballot: Ballot) -> Decision:
        """May `subject` vote on a request waiting on `ballot.rule`? Distinct people only: the
        record counts one vote per user ID; here only eligibility is decided."""
        if subject.external:
            return Decision("deny", EXTERNAL_USERS, "builtin", "people from other workspaces cannot approve")
        if ballot.rule == CONFIRM_RULE:
            if subject.id == ballot.requester:
                return Decision("allow", CONFIRM_RULE, "builtin", "the requester confirms their own change")
            return Decision("deny", CONFIRM_RULE, "builtin", f"only {ballot.requester}, who asked, can confirm it")
        required = self.approval_rule(ballot.rule)
        if required is None:
            reason = f"its approval rule `{ballot.rule}` is no longer in the policy; ask for the change again"
            return Decision("deny", ballot.rule, "approval", reason)
        if subject.id == ballot.requester and not required.self_approval:
            reason = f"you asked for this change, and rule `{ballot.rule}` needs someone else to approve it"
            return Decision("deny", ballot.rule, "approval", reason)
        keys = frozenset((subject.id, EVERYONE, *subject.groups))
        if keys.isdisjoint(required.approvers):
            reason = f"only {', '.join(required.approvers)} may vote on it (rule `{ballot.rule}`)"
            return Decision("deny", ballot.rule, "approval", reason)
        return Decision("allow", ballot.rule, "approval", f"an approver under rule `{ballot.rule}`")


def _needs(approval: Approval, by: RuleKind, reason: str) -> Decision:
    return Decision("needs_approval", approval.rule, by, reason, approval=approval)
