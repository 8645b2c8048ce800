"""Reading a policy file: YAML → shape (pydantic) → meaning (names, IDs, globs) → a `Policy`.

Every problem is reported, not just the first, each with the file, the YAML line, the path of
the field (`roles.deployer.limits.max_replicas`) and a hint: `pilothouse check-config` prints
them, and a reload that finds any keeps the last good policy.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.policy.engine import (
    CHANNEL_ALLOW_LIST,
    CONFIRM_RULE,
    DEFAULT_DENY,
    DEPLOY_LOCK,
    EXTERNAL_USERS,
    META_COMMANDS,
    READS_FOR_EVERYONE,
    Approval,
    ApprovalRule,
    Binding,
    Commands,
    DenyRule,
    Policy,
    Role,
)
from bot.policy.freezes import Freeze, break_glass_rule
from bot.policy.globs import BadGlob, Globs
from bot.policy.images import has_registry
from bot.policy.schema import FreezeSpec, PolicyFile, Requirement, WindowSpec
from bot.policy.subject import BUILTIN_GROUPS, CHANNEL_ID, GROUP_NAME, USER_ID, USERGROUP_ID
from bot.policy.windows import DateRange, Recurring, Window
from commands import kinds
from commands.cron import CronError, parse_cron
from commands.errors import ConfigError, ParseError
from commands.locks import STEAL
from commands.read import OnKind
from commands.registry import ACCESS_CLASSES, Registry
from commands.values import duration_seconds

RESERVED_NAMES = (
    CONFIRM_RULE,
    CHANNEL_ALLOW_LIST,
    DEFAULT_DENY,
    DEPLOY_LOCK,
    EXTERNAL_USERS,
    META_COMMANDS,
    READS_FOR_EVERYONE,
)
Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    hint: str | None = None

    def text(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}" + (f"\n    hint: {self.hint}" if self.hint else "")


class PolicyProblems(ConfigError):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(p.text(source) for p in problems)
        super().__init__(f"The policy file {source} has {len(problems)} problem(s):\n{listed}")


def load(path: Path, registry: Registry, *, channels: frozenset[str] = frozenset()) -> Policy:
    try:
        text = path.read_text()
    except OSError as e:
        raise PolicyProblems(str(path), [Problem("", f"cannot be read: {e.strerror or e}")]) from None
    return parse(text, str(path), registry, channels=channels)


def parse(text: str, source: str, registry: Registry, *, channels: frozenset[str] = frozenset()) -> Policy:
    data, lines, problems = _yaml(text)
    if problems:
        raise PolicyProblems(source, problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyProblems(source, [Problem("", "must be a mapping with groups, roles, bindings, deny", line=1)])
    try:
        shape = PolicyFile.model_validate(data)
    except ValidationError as e:
        raise PolicyProblems(source, [_from_pydantic(err, lines) for err in e.errors(include_url=False)]) from None
    checker = _Checker(shape, registry, lines)
    checker.check()
    if checker.problems:
        raise PolicyProblems(source, sorted(checker.problems, key=lambda p: p.line or 0))
    return compile_policy(shape, registry, source=source, channels=channels)


# --- YAML with line numbers ---------------------------------------------------------------


def _yaml(text: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        message = f"YAML syntax error: {e.problem or e}" + (f" ({e.context})" if e.context else "")
        return None, {}, [Problem("", message, line=line, hint="check the indentation and quotes on that line")]
    except yaml.YAMLError as e:
        return None, {}, [Problem("", f"YAML error: {e}")]
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems)
    return data, lines, problems


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            here = (*path, name)
            if name in seen:
                problems.append(Problem(_dotted(here), "is given twice", line=key.start_mark.line + 1))
            seen.add(name)
            lines[here] = key.start_mark.line + 1
            _walk(value, here, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, problems)


def _dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line(lines: Mapping[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _from_pydantic(err: Any, lines: Mapping[Path_, int]) -> Problem:
    path: Path_ = tuple(err["loc"])
    hints = {
        "extra_forbidden": "the keys here are listed in examples/policy.yaml",
        "missing": "add it",
        "literal_error": None,
    }
    message = str(err["msg"])
    hint = hints.get(err["type"])
    if err["type"] == "extra_forbidden":
        message = "is not a known key"
        if path == ("rules",):
            hint = "the old `rules:` list is now `roles:` and `bindings:` (allow) and `deny:`; see examples/policy.yaml"
    return Problem(_dotted(path), message, line=_line(lines, path), hint=hint)


# --- meaning ------------------------------------------------------------------------------


class _Checker:
    def __init__(self, shape: PolicyFile, registry: Registry, lines: Mapping[Path_, int]) -> None:
        self.shape = shape
        self.registry = registry
        self.names = (*registry.names(), STEAL)  # `lock --steal`: a permission of its own
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, path: Path_, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(_dotted(path), message, line=_line(self.lines, path), hint=hint))

    def check(self) -> None:
        self._groups()
        for name, spec in self.shape.roles.items():
            path: Path_ = ("roles", name)
            if not GROUP_NAME.match(name):
                self.problem(path, f"`{name}` is not a valid role name", "lowercase letters, digits and '-'")
            self._commands((*path, "commands"), spec.commands)
            self._globs((*path, "clusters"), spec.clusters)
            self._globs((*path, "namespaces"), spec.namespaces)
            if spec.limits.images is not None:
                self._images((*path, "limits", "images"), spec.limits.images)
        self._rule_names()
        bound: set[str] = set()
        for i, binding in enumerate(self.shape.bindings):
            path = ("bindings", i)
            self._subjects((*path, "subjects"), binding.subjects)
            self._channels((*path, "channels"), binding.channels or ())
            for j, role in enumerate(binding.roles):
                bound.add(role)
                if role not in self.shape.roles:
                    close = difflib.get_close_matches(role, list(self.shape.roles), n=1)
                    hint = f"did you mean `{close[0]}`?" if close else "define it under `roles:`"
                    self.problem((*path, "roles", j), f"role `{role}` does not exist", hint)
        for name in self.shape.roles:
            if name not in bound:
                self.problem(("roles", name), f"role `{name}` is bound to nobody", "bind it, or remove it")
        for i, rule in enumerate(self.shape.deny):
            path = ("deny", i)
            self._subjects((*path, "subjects"), rule.subjects or ())
            self._channels((*path, "channels"), rule.channels or ())
            self._commands((*path, "commands"), rule.commands)
            self._globs((*path, "clusters"), rule.clusters)
            self._globs((*path, "namespaces"), rule.namespaces)
        for i, approval in enumerate(self.shape.approvals):
            path = ("approvals", i)
            self._subjects((*path, "approvers"), approval.approvers)
            self._commands((*path, "commands"), approval.commands)
            self._globs((*path, "clusters"), approval.clusters)
            self._globs((*path, "namespaces"), approval.namespaces)
            try:
                duration_seconds(approval.expires)
            except ValueError as e:
                self.problem((*path, "expires"), str(e), "a request waits at most 7 days")
            self._count(path, approval.count, approval.approvers)
        for i, freeze in enumerate(self.shape.freezes):
            self._freeze(("freezes", i), freeze)

    def _count(self, path: Path_, count: int, approvers: tuple[str, ...]) -> None:
        if count > len(approvers) and all(USER_ID.match(a) for a in approvers):
            self.problem(
                (*path, "count"),
                f"{count} approvals are needed but only {len(approvers)} people are named",
                "name more approvers (a group counts all its members), or lower `count`",
            )

    def _requirement(self, path: Path_, approvers: tuple[str, ...], count: int, expires: str) -> None:
        self._subjects((*path, "approvers"), approvers)
        self._count(path, count, approvers)
        try:
            duration_seconds(expires)
        except ValueError as e:
            self.problem((*path, "expires"), str(e), "a request waits at most 7 days")

    def _freeze(self, path: Path_, freeze: FreezeSpec) -> None:
        if not GROUP_NAME.match(freeze.name):
            self.problem(
                (*path, "name"), f"`{freeze.name}` is not a valid freeze name", "lowercase letters, digits and '-'"
            )
        if freeze.commands is not None:
            self._commands((*path, "commands"), freeze.commands)
            self._changes_only((*path, "commands"), freeze.commands)
        for key in ("clusters", "namespaces", "apps"):
            self._globs((*path, key), getattr(freeze, key))
        for j, window in enumerate(freeze.windows):
            self._window((*path, "windows", j), window)
        if freeze.effect == "approval":
            if freeze.approvers is None:
                self.problem(
                    (*path, "approvers"),
                    "an `effect: approval` freeze needs `approvers`",
                    "add who approves, and `count`",
                )
            else:
                self._requirement(path, freeze.approvers, freeze.count, freeze.expires)
            if freeze.break_glass is not None:
                self.problem(
                    (*path, "break_glass"),
                    "`break_glass` is for `effect: deny` freezes",
                    "an approval freeze already lets approved changes through; remove `break_glass`",
                )
        else:
            if freeze.approvers is not None:
                self.problem(
                    (*path, "approvers"),
                    "`approvers` is for `effect: approval`; a deny freeze refuses every change",
                    "to let approved changes through a deny freeze, use `break_glass: {approvers: [...], count: N}`",
                )
            if freeze.break_glass is not None:
                bg = freeze.break_glass
                self._requirement((*path, "break_glass"), bg.approvers, bg.count, bg.expires)

    def _changes_only(self, path: Path_, commands: Iterable[str]) -> None:
        writes = [spec.name for spec in self.registry if spec.access == "write"]
        for i, pattern in enumerate(commands):
            if pattern == "write":
                continue
            if pattern in ACCESS_CLASSES:
                self.problem(
                    (*path, i),
                    f"`{pattern}` commands are never frozen: a freeze stops changes only",
                    "use `write`, or name changes like `deploy`",
                )
                continue
            try:
                glob = Globs.parse([pattern])
            except BadGlob:
                continue  # said by _commands
            if not any(glob.match(name) for name in writes) and (
                any(glob.match(n) for n in self.names) or _of_a_kind(pattern, self.registry)
            ):
                self.problem(
                    (*path, i),
                    f"`{pattern}` changes nothing, and reads are never frozen",
                    "name changes: deploy, scale, restart, …",
                )

    def _window(self, path: Path_, window: WindowSpec) -> None:
        try:
            zone = time_zone_name(window.timezone)
        except ParseError as e:
            self.problem((*path, "timezone"), e.message, e.hint)
            zone = None
        recurring, ranged = (
            window.cron is not None or window.duration is not None,
            window.start is not None or window.end is not None,
        )
        if recurring == ranged:
            what = "both" if recurring else "neither"
            self.problem(
                path,
                f"a window is `cron` + `duration` or `start` + `end`, and this has {what}",
                'e.g. `{cron: "0 16 * * 5", duration: 64h, timezone: Europe/Berlin}` '
                "or `{start: 2026-12-20, end: 2027-01-03}`",
            )
            return
        if recurring:
            self._recurring(path, window)
        elif zone is not None:
            self._range(path, window, zone)

    def _recurring(self, path: Path_, window: WindowSpec) -> None:
        if window.cron is None:
            self.problem(
                (*path, "cron"),
                "a `duration` needs a `cron` saying when each window starts",
                'e.g. `cron: "0 16 * * 5"` (Fridays 16:00)',
            )
        else:
            try:
                parse_cron(window.cron)
            except CronError as e:
                self.problem((*path, "cron"), str(e), "five fields: minute hour day-of-month month day-of-week")
        if window.duration is None:
            self.problem((*path, "duration"), "a `cron` window needs a `duration`", "e.g. `duration: 64h` (at most 7d)")
            return
        try:
            duration_seconds(window.duration)
        except ValueError as e:
            self.problem(
                (*path, "duration"),
                str(e),
                "a window lasts more than nothing and at most 7d; a longer freeze is a date range (`start`, `end`)",
            )

    def _range(self, path: Path_, window: WindowSpec, zone: str) -> None:
        if window.start is None or window.end is None:
            missing = "start" if window.start is None else "end"
            self.problem(
                (*path, missing),
                f"a date range needs a `{missing}`",
                "e.g. `start: 2026-12-20`, `end: 2027-01-03` (that day included)",
            )
            return
        try:
            found = DateRange.of(window.start, window.end, zone)
        except ValueError as e:
            self.problem(path, str(e))
            return
        if found.end <= found.start:
            self.problem((*path, "end"), f"ends before it starts ({found.describe()})", "swap `start` and `end`?")

    def _groups(self) -> None:
        for name, members in self.shape.groups.items():
            path: Path_ = ("groups", name)
            if name in BUILTIN_GROUPS:
                self.problem(path, f"`{name}` is built in and cannot be redefined")
            elif not GROUP_NAME.match(name):
                self.problem(path, f"`{name}` is not a valid group name", "lowercase letters, digits and '-'")
            for i, member in enumerate(members):
                if not (USER_ID.match(member) or USERGROUP_ID.match(member)):
                    self.problem(
                        (*path, i),
                        f"`{member}` is not a Slack user ID (U…/W…) or user group ID (S…)",
                        "IDs are exact and upper-case; find one in the person's Slack profile → ⋮ → Copy member ID",
                    )

    def _subjects(self, path: Path_, subjects: Iterable[str]) -> None:
        for i, subject in enumerate(subjects):
            ok = (
                USER_ID.match(subject)
                or USERGROUP_ID.match(subject)
                or (CHANNEL_ID.match(subject) and not subject.startswith("D"))
                or subject in self.shape.groups
                or subject in BUILTIN_GROUPS
            )
            if not ok:
                close = difflib.get_close_matches(subject, list(self.shape.groups), n=1)
                hint = (
                    f"did you mean the group `{close[0]}`?"
                    if close
                    else "use a user ID (U…/W…), a user group ID (S…), a channel ID (C…/G…), "
                    "a group defined under `groups:`, or `everyone` / `external`"
                )
                self.problem((*path, i), f"`{subject}` is not an ID or a known group", hint)

    def _channels(self, path: Path_, channels: Iterable[str]) -> None:
        for i, channel in enumerate(channels):
            if not CHANNEL_ID.match(channel) or channel.startswith("D"):
                self.problem(
                    (*path, i),
                    f"`{channel}` is not a channel ID (C…/G…)",
                    "channels are named by ID: a renamed channel keeps it; `direct_messages:` governs DMs",
                )

    def _commands(self, path: Path_, commands: Iterable[str]) -> None:
        for i, pattern in enumerate(commands):
            if pattern in ACCESS_CLASSES:
                continue
            try:
                glob = Globs.parse([pattern])
            except BadGlob as e:
                self.problem((*path, i), str(e))
                continue
            if any(glob.match(name) for name in self.names) or _of_a_kind(pattern, self.registry):
                continue
            examples = [*self.names, *(f"get {k}" for k in ("pods", "deployments", "statefulsets", "secrets"))]
            close = difflib.get_close_matches(pattern, examples, n=2)
            hint = ("did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else None
            self.problem((*path, i), f"no command is called `{pattern}`", hint or "`pilothouse` → `help` lists them")

    def _globs(self, path: Path_, patterns: Iterable[str]) -> None:
        for i, pattern in enumerate(patterns):
            try:
                Globs.parse([pattern])
            except BadGlob as e:
                self.problem((*path, i), str(e))

    def _images(self, path: Path_, patterns: Iterable[str]) -> None:
        for i, pattern in enumerate(patterns):
            try:
                Globs.parse([pattern])
            except BadGlob as e:
                self.problem((*path, i), str(e))
                continue
            first = pattern.split("/", 1)[0]
            if "/" not in pattern or not has_registry(first) or "*" in first:
                self.problem(
                    (*path, i),
                    f"`{pattern}` does not start with a registry host",
                    "name the registry and repository, e.g. `ghcr.io/acme/*` or `docker.io/library/nginx`",
                )

    def _rule_names(self) -> None:
        seen: dict[str, Path_] = {}
        named = [
            *((("bindings", i), b.name) for i, b in enumerate(self.shape.bindings)),
            *((("deny", i), d.name) for i, d in enumerate(self.shape.deny)),
            *((("approvals", i), a.name) for i, a in enumerate(self.shape.approvals)),
            *((("freezes", i), f.name) for i, f in enumerate(self.shape.freezes)),
        ]
        for path, name in named:
            if name in RESERVED_NAMES:
                self.problem((*path, "name"), f"`{name}` is the name of a built-in rule")
            elif name in seen:
                self.problem((*path, "name"), f"the name `{name}` is used twice", "decisions name rules by name")
            seen[name] = path


# --- compiling ----------------------------------------------------------------------------


def kind_commands(registry: Registry) -> frozenset[str]:
    """The commands followed by a kind (`get`, `describe`): the policy sees `get statefulsets`."""
    return frozenset(s.name for s in registry if issubclass(s.model, OnKind))


def _of_a_kind(pattern: str, registry: Registry) -> bool:
    """`get pods`, `get certificates.cert-manager.io`, `describe *`: a kind command and a kind."""
    command, _, kind = pattern.partition(" ")
    if command not in kind_commands(registry) or not kind:
        return False
    if "*" in kind:
        return True
    try:
        kinds.kind_word(kind)
    except ValueError:
        return False
    return True


def canonical(pattern: str, registry: Registry) -> str:
    """As the policy will see it: `get sts` is `get statefulsets`."""
    command, _, kind = pattern.partition(" ")
    if kind and "*" not in kind and command in kind_commands(registry):
        return f"{command} {kinds.canonical(kind)}"
    return pattern


def resolve_commands(patterns: Iterable[str], registry: Registry) -> Commands:
    classes = frozenset(p for p in patterns if p in ACCESS_CLASSES)
    names = [canonical(p, registry) for p in patterns if p not in ACCESS_CLASSES]
    return Commands(classes, Globs.parse(names))


def compile_policy(
    shape: PolicyFile, registry: Registry, *, source: str, channels: frozenset[str] = frozenset()
) -> Policy:
    roles = {
        name: Role(
            name=name,
            commands=resolve_commands(spec.commands, registry),
            clusters=Globs.parse(spec.clusters),
            namespaces=Globs.parse(spec.namespaces),
            cluster_wide=spec.cluster_wide,
            max_replicas=spec.limits.max_replicas,
            images=Globs.parse(spec.limits.images) if spec.limits.images is not None else None,
            owner=spec.owner,
            description=spec.description,
        )
        for name, spec in shape.roles.items()
    }
    bindings = tuple(
        Binding(
            name=b.name,
            subjects=b.subjects,
            roles=tuple(roles[r] for r in b.roles),
            channels=frozenset(b.channels) if b.channels is not None else None,
            direct_messages=b.direct_messages,
        )
        for b in shape.bindings
    )
    deny = tuple(
        DenyRule(
            name=d.name,
            reason=d.reason,
            commands=resolve_commands(d.commands, registry),
            subjects=frozenset(d.subjects) if d.subjects is not None else None,
            channels=frozenset(d.channels) if d.channels is not None else None,
            clusters=Globs.parse(d.clusters),
            namespaces=Globs.parse(d.namespaces),
        )
        for d in shape.deny
    )
    approvals = tuple(
        ApprovalRule(
            name=a.name,
            commands=resolve_commands(a.commands, registry),
            approvers=a.approvers,
            count=a.count,
            clusters=Globs.parse(a.clusters),
            namespaces=Globs.parse(a.namespaces),
            destructive=a.destructive,
            deny_count=a.deny_count,
            ttl=duration_seconds(a.expires),
            self_approval=a.self_approval,
        )
        for a in shape.approvals
    )
    return Policy(
        bindings=bindings,
        deny=deny,
        approvals=approvals,
        freezes=tuple(_freeze(f, registry) for f in shape.freezes),
        groups={name: frozenset(members) for name, members in shape.groups.items()},
        reads_for_everyone=shape.defaults.reads_for_everyone,
        channels=channels,
        source=source,
    )


def changes(registry: Registry) -> Commands:
    """What a freeze stops unless it says: every command that changes a cluster (not `lock`,
    not digest schedules: `write` names those too)."""
    return Commands(names=Globs.parse([s.name for s in registry if s.access == "write" and s.family == "deploy"]))


def time_zone_name(name: str) -> str:
    from integrations.scheduler.triggers import time_zone

    return str(time_zone(name))


def _requirement(rule: str, approvers: tuple[str, ...], count: int, expires: str) -> Approval:
    return Approval(rule, approvers, count, 1, duration_seconds(expires))


def _window(spec: WindowSpec) -> Window:
    if spec.cron is not None and spec.duration is not None:
        seconds = duration_seconds(spec.duration)
        return Recurring.of(spec.cron, timedelta(seconds=seconds), spec.timezone)
    assert spec.start is not None and spec.end is not None
    return DateRange.of(spec.start, spec.end, spec.timezone)


def _freeze(spec: FreezeSpec, registry: Registry) -> Freeze:
    approval = None
    if spec.effect == "approval" and spec.approvers is not None:
        approval = _requirement(spec.name, spec.approvers, spec.count, spec.expires)
    bg: Requirement | None = spec.break_glass
    return Freeze(
        name=spec.name,
        reason=spec.reason,
        commands=resolve_commands(spec.commands, registry) if spec.commands is not None else changes(registry),
        windows=tuple(_window(w) for w in spec.windows),
        effect=spec.effect,
        clusters=Globs.parse(spec.clusters),
        namespaces=Globs.parse(spec.namespaces),
        apps=Globs.parse(spec.apps),
        every_change=spec.commands is None,
        approval=approval,
        break_glass=_requirement(break_glass_rule(spec.name), bg.approvers, bg.count, bg.expires) if bg else None,
    )


def builtin(
    registry: Registry,
    *,
    admin: str | None = None,
    clusters: Iterable[str] = (),
    channels: frozenset[str] = frozenset(),
    shell: bool = False,
) -> Policy:
    """No policy file: reads for everyone, nothing else; in the demo shell, `admin` may do
    anything on the simulated `clusters` (as group `admins`, which the demo's RBAC binds), and
    with `shell` the demo's locks and freezes can be tried (`_demo_shell`)."""
    if admin is None:
        return compile_policy(PolicyFile(), registry, source="built-in", channels=channels)
    data: dict[str, Any] = {
        "groups": {"admins": [admin]},
        "roles": {
            "admin": {
                "description": "everything on the demo cluster",
                "commands": ["*"],
                "clusters": list(clusters) or ["*"],
                "cluster_wide": True,
            }
        },
        "bindings": [{"name": "demo-admin", "subjects": ["admins"], "roles": ["admin"], "direct_messages": "all"}],
    }
    if shell:
        _demo_shell(data, list(clusters) or ["*"])
    return compile_policy(
        PolicyFile.model_validate(data), registry, source="built-in (demo: you are admin)", channels=channels
    )


def _demo_shell(data: dict[str, Any], clusters: list[str]) -> None:
    """The zero-setup shell lets its people try locks and freezes: anyone else who speaks there
    (`/user bob`) may change shop and data but not steal locks; payments is always frozen,
    and only an admin's approval breaks the glass."""
    data["roles"]["deployer"] = {
        "description": "change workloads and take locks on the demo cluster (not steal them)",
        "commands": ["read", "deploy", "scale", "restart", "rollback", "pause", "resume", "lock", "unlock"],
        "clusters": clusters,
    }
    data["bindings"].append({"name": "demo-deployers", "subjects": ["everyone"], "roles": ["deployer"]})
    data["freezes"] = [
        {
            "name": "demo-payments",
            "reason": "a demo freeze, always on: payments is frozen so you can see what a freeze does",
            "clusters": clusters,
            "namespaces": ["payments"],
            "windows": [{"start": "2026-01-01", "end": "2099-12-31"}],
            "effect": "deny",
            "break_glass": {"approvers": ["admins"], "count": 1},
        }
    ]
