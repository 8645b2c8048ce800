"""The Dockerfile, read as Docker reads it (there is no Docker engine here): a pinned slim base,
a build stage and a final stage without build tools, a non-root user that matches the chart,
the `pilothouse` entry point; and a .dockerignore that sends only what is copied."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD_TOOLS = {"gcc", "g++", "cc", "make", "build-essential", "clang", "git", "curl", "wget", "python3-dev"}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> list[Stage]:
    """Instructions by stage: comments dropped, `\\` continuations joined, keywords upper-cased."""
    stages: list[Stage] = []
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    for line in filter(None, (raw.strip() for raw in logical.splitlines())):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), " ".join(args.split())
        if keyword == "FROM":
            parts = args.split()
            stages.append(Stage(parts[0], parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None))
        else:
            assert stages, f"{keyword} before any FROM"
            stages[-1].instructions.append((keyword, args))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse((ROOT / "Dockerfile").read_text())


def test_the_parser_reads_stages_and_continuations() -> None:
    parsed = parse("FROM a:1 AS b\n# c\nRUN x \\\n  && y\nfrom d:2\nuser 5\n")
    assert [(s.base, s.name) for s in parsed] == [("a:1", "b"), ("d:2", None)]
    assert parsed[0].instructions == [("RUN", "x && y")] and parsed[1].all("USER") == ["5"]


def test_every_base_is_a_pinned_slim_python(stages: list[Stage]) -> None:
    assert len(stages) >= 2, "multi-stage: build, then a final stage"
    for stage in stages:
        if stage.base in {s.name for s in stages}:
            continue  # built on an earlier stage
        # python:3.11.13-slim-bookworm (a full version and the Debian release), optionally @sha256:…
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", stage.base), stage.base


def test_the_final_stage_has_no_build_tools_and_no_installs(stages: list[Stage]) -> None:
    final = stages[-1]
    assert final.base == stages[0].base, "the final stage starts from the slim base, not from the build stage"
    for command in final.all("RUN"):
        words = set(shlex.split(command.replace("&&", " ")))
        assert not words & BUILD_TOOLS, command
        assert not re.search(r"\b(apt-get|apt|apk)\s+install\b", command), command
        assert not re.search(r"\bpip\s+install\b", command), command
    copied = final.all("COPY")
    build = stages[0].name
    assert copied and all(c.startswith(f"--from={build} ") for c in copied), "only the build stage's results"


def test_it_runs_as_the_non_root_user_the_chart_expects(stages: list[Stage]) -> None:
    users = stages[-1].all("USER")
    assert users, "no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, "a numeric uid lets Kubernetes check runAsNonRoot"
    values = yaml.safe_load((ROOT / "helm" / "pilothouse" / "values.yaml").read_text())
    assert values["podSecurityContext"]["runAsUser"] == int(uid)
    assert values["podSecurityContext"]["runAsGroup"] == int(gid)


def test_the_entry_point_is_the_pilothouse_console_script(stages: list[Stage]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "pilothouse" in project["scripts"]
    assert stages[-1].all("ENTRYPOINT") == ['["pilothouse"]']
    assert "3000" in stages[-1].all("EXPOSE")


def test_dockerignore_sends_only_what_the_dockerfile_copies(stages: list[Stage]) -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [ln for ln in lines if ln and not ln.startswith("#")]
    assert rules[0] == "*", "start from nothing, then allow what is needed"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    sources = set()
    for stage in stages:
        for copy in stage.all("COPY"):
            if not copy.startswith("--from="):
                *srcs, _dest = copy.split()
                sources.update(s.rstrip("/").removeprefix("./") for s in srcs)
    assert sources == allowed
    for path in sources:
        assert (ROOT / path).exists(), path
