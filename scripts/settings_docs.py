#!/usr/bin/env python3
"""Generates every description of Pilothouse's settings from one source, `bot/settings.py`:

- README.md: the settings tables, one per group (between the `settings` markers);
- helm/pilothouse/values.yaml: the documented `settings:` block (between its markers);
- helm/pilothouse/values.schema.json: the schema of that block (types, ranges, patterns);
- helm/pilothouse/README.md: the table of every chart value, from the `# --` comments of values.yaml.

    .venv/bin/python scripts/settings_docs.py           # write them
    .venv/bin/python scripts/settings_docs.py --check   # exit 1 and say what drifted (scripts/test)

A new setting needs a group and a description (`setting(...)` in bot/settings.py); one the chart
sets from its own values is listed in CHART_SETS below, the others become `settings.<name>`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import GROUPS, Settings  # noqa: E402

README = ROOT / "README.md"
CHART = ROOT / "helm" / "pilothouse"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
CHART_README = CHART / "README.md"
COMMAND = ".venv/bin/python scripts/settings_docs.py"

# Settings the chart sets itself, from the values named here (the rest are `settings.<name>`).
CHART_SETS: dict[str, str] = {
    "slack_bot_token": "`slack.botToken` or `slack.existingSecret`",
    "slack_app_token": "`slack.appToken` or `slack.existingSecret` (Socket Mode)",
    "slack_signing_secret": "`slack.signingSecret` or `slack.existingSecret` (HTTP mode)",
    "http_host": "the chart (all addresses)",
    "http_port": "the chart (the container port `http`, 3000)",
    "kubeconfig": "`clusters.kubeconfigs`",
    "in_cluster": "`clusters.inCluster.enabled`",
    "in_cluster_name": "`clusters.inCluster.name`",
    "in_cluster_namespace": "`clusters.inCluster.namespace`",
    "default_cluster": "`clusters.default` or `clusters.existingConfigMap`",
    "channel_clusters": "`clusters.channels` or `clusters.existingConfigMap`",
    "redis_url": "`redis.mode` and `redis.url`",
    "redis_password": "`redis.existingSecret` (bundled: a generated Secret)",
    "redis_ca_file": "`redis.tls.caSecret`",
    "redis_sentinels": "`redis.sentinels`",
    "redis_sentinel_password": "`redis.sentinelPasswordKey`",
    "leader_election": "the chart (a Lease with `clusters.inCluster`, else Redis)",
    "leader_lease_name": "the chart (`FULLNAME-scheduler`, the name its Role grants)",
    "leader_lease_namespace": "the chart (the release namespace)",
    "policy_file": "`policy.file` or `policy.existingConfigMap`",
}
BEGIN_MD = "<!-- BEGIN settings: generated from bot/settings.py by scripts/settings_docs.py; edit there -->"
END_MD = "<!-- END settings -->"
BEGIN_VALUES_MD = "<!-- BEGIN values: generated from values.yaml by scripts/settings_docs.py; edit there -->"
END_VALUES_MD = "<!-- END values -->"
BEGIN_YAML = "# BEGIN settings (generated from bot/settings.py by scripts/settings_docs.py: edit there, then run it)"
END_YAML = "# END settings"


class Undocumented(Exception):
    """A setting or value lacks what the generated documents need."""


@dataclass(frozen=True)
class Doc:
    name: str  # the attribute: redis_url
    env: str  # PILOTHOUSE_REDIS_URL
    group: str
    description: str
    default: str  # as the tables show it
    secret: bool
    schema: dict[str, Any]

    @property
    def value_key(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    @property
    def chart(self) -> str:
        return CHART_SETS.get(self.name) or f"`settings.{self.value_key}`"


def settings_docs(model: type[Settings] = Settings) -> list[Doc]:
    """Every setting, in group order, or Undocumented naming each one that lacks a group or text."""
    properties = model.model_json_schema(by_alias=False)["properties"]
    problems, docs = [], []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        group = extra.get("group")
        env = f"PILOTHOUSE_{name.upper()}"
        if not field.description:
            problems.append(f"{env} ({name}) has no description")
        if group not in GROUPS:
            known = ", ".join(GROUPS)
            problems.append(f"{env} ({name}) has group {group!r}, not one of GROUPS ({known})")
        if problems:
            continue
        schema = properties[name]
        shown = str(extra.get("default_text") or _shown(field.default))
        secret = "writeOnly" in json.dumps(schema)
        docs.append(Doc(name, env, str(group), str(field.description), shown, secret, schema))
    stale = sorted(set(CHART_SETS) - set(model.model_fields))
    problems += [f"CHART_SETS in scripts/settings_docs.py names `{name}`, which is no setting" for name in stale]
    if problems:
        hint = 'declare each with setting(default, "<group>", "<what it does>") in bot/settings.py'
        raise Undocumented("\n".join(problems) + f"\n({hint})")
    order = list(GROUPS)
    return sorted(docs, key=lambda d: order.index(d.group))


def _shown(default: Any) -> str:
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`" if default != "" else "empty"


# --- README.md ---------------------------------------------------------------------------------


def readme_block(docs: list[Doc]) -> str:
    lines = [BEGIN_MD]
    for key, group in GROUPS.items():
        members = [d for d in docs if d.group == key]
        if not members:
            continue
        lines += ["", f"### {group.title}", "", group.about, ""]
        lines += ["| variable | meaning | default | in the chart |", "|---|---|---|---|"]
        for d in members:
            meaning = d.description + (" (secret: never logged)" if d.secret else "")
            lines.append(f"| `{d.env}` | {_cell(meaning)} | {_cell(d.default)} | {_cell(d.chart)} |")
    return "\n".join([*lines, "", END_MD])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# --- values.yaml -------------------------------------------------------------------------------


def values_block(docs: list[Doc]) -> str:
    passed = [d for d in docs if d.name not in CHART_SETS]
    lines = [
        BEGIN_YAML,
        "# -- Pilothouse's own settings, as environment variables PILOTHOUSE_*; null: Pilothouse's default. "
        "Those the chart sets from the values above are not here (README: Configuration)",
        "settings:",
    ]
    for key, group in GROUPS.items():
        members = [d for d in passed if d.group == key]
        if members:
            lines.append(f"  # {group.title}")
        for d in members:
            lines.append(f"  # -- {d.env}: {d.description} (default: {d.default.replace('`', '')})")
            lines.append(f"  {d.value_key}: null")
    return "\n".join([*lines, END_YAML])


def settings_schema(docs: list[Doc]) -> dict[str, Any]:
    """The JSON schema of the `settings:` values: each setting's own type and limits, or null."""
    properties = {}
    for d in docs:
        if d.name in CHART_SETS:
            continue
        schema = _clean(d.schema)
        variants = [v for v in schema.pop("anyOf", [dict(schema)]) if v.get("type") != "null"]
        if len(variants) == 1:  # the usual case: one type, its limits, or null (flat: clearer errors)
            own = variants[0]
            out = {**own, "type": [own["type"], "null"]} if "type" in own else dict(own)
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [*variants, {"type": "null"}]}
        out["description"] = f"{d.env}: {d.description}"
        properties[d.value_key] = out
    return {
        "type": ["object", "null"],
        "description": "Pilothouse's own settings (PILOTHOUSE_*); null: Pilothouse's default",
        "additionalProperties": False,
        "properties": properties,
    }


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    dropped = {"title", "default", "group", "default_text", "format", "writeOnly"}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in dropped:
            continue
        if key == "anyOf":
            value = [_clean(v) for v in value]
        out[key] = value
    return out


# --- the chart's README: every value ------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    path: str
    description: str
    default: Any


def documented_values(text: str) -> list[Value]:
    """Each `# -- text` comment documents the key below it, subtree included, unless a key inside
    has its own; every leaf must be covered by one (Undocumented names those that are not)."""
    data = yaml.safe_load(text) or {}
    described: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: str | None = None
    for line in text.splitlines():
        if comment := re.match(r"^\s*# -- (.*)$", line):
            pending = comment.group(1).strip()
            continue
        key = re.match(r"^( *)([A-Za-z0-9_]+):", line)
        if not key:
            if line.strip() and not line.strip().startswith("#"):
                pending = None
            continue
        indent = len(key.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key.group(2)))
        if pending is not None:
            described[".".join(k for _, k in stack)] = pending
            pending = None
    values: list[Value] = []
    missing: list[str] = []
    for path, _ in _leaves(data):
        owner = next((p for p in reversed(_prefixes(path)) if p in described), None)
        if owner is None:
            missing.append(path)
        elif owner not in {v.path for v in values}:
            values.append(Value(owner, described[owner], _lookup(data, owner)))
    if missing:
        raise Undocumented(
            "values.yaml: no `# -- description` above " + ", ".join(missing) + " (or above a key containing it)"
        )
    return values


def _leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, data


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def values_table(values: list[Value]) -> str:
    lines = [BEGIN_VALUES_MD, "", "| value | default | meaning |", "|---|---|---|"]
    for v in values:
        default = json.dumps(v.default, ensure_ascii=False)
        lines.append(f"| `{v.path}` | `{_cell(default)}` | {_cell(v.description)} |")
    return "\n".join([*lines, "", END_VALUES_MD])


# --- writing and checking ------------------------------------------------------------------------


def _replace(text: str, begin: str, end: str, block: str, where: Path) -> str:
    start, stop = text.find(begin), text.find(end)
    if start == -1 or stop == -1:
        raise Undocumented(f"{where.relative_to(ROOT)}: the markers `{begin}` … `{end}` are missing")
    return text[:start] + block + text[stop + len(end) :]


def generated() -> dict[Path, str]:
    """Each generated file's text as it should be."""
    docs = settings_docs()
    values = _replace(VALUES.read_text(), BEGIN_YAML, END_YAML, values_block(docs), VALUES)
    schema = json.loads(SCHEMA.read_text())
    schema["properties"]["settings"] = settings_schema(docs)
    table = values_table(documented_values(values))
    return {
        README: _replace(README.read_text(), BEGIN_MD, END_MD, readme_block(docs), README),
        VALUES: values,
        SCHEMA: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
        CHART_README: _replace(CHART_README.read_text(), BEGIN_VALUES_MD, END_VALUES_MD, table, CHART_README),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    try:
        files = generated()
    except Undocumented as e:
        print(f"settings_docs: {e}", file=sys.stderr)
        return 1
    stale = [path for path, text in files.items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"settings_docs: {path.relative_to(ROOT)} is out of date with bot/settings.py", file=sys.stderr)
        if stale:
            print(f"settings_docs: run `{COMMAND}` and commit what it changes", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
