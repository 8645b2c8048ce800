"""What the distribution declares: every library the code imports is a dependency of its own,
not something that happens to arrive with another (PyYAML came only through `kubernetes`)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "commands", "integrations")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> dict[str, set[str]]:
    """Top-level modules imported by the shipped code, each with the files that import it."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]) for requirement in project["dependencies"]}


def test_every_imported_library_is_a_declared_dependency() -> None:
    owners = packages_distributions()
    third_party = {
        module: files
        for module, files in imported_modules().items()
        if module not in sys.stdlib_module_names and module not in PACKAGES
    }
    assert "yaml" in third_party and "kubernetes" in third_party  # the scan sees what it must
    undeclared = {}
    for module, files in third_party.items():
        distributions = {_canonical(d) for d in owners.get(module, [module])}
        if not distributions & declared():
            undeclared[module] = sorted(files)
    assert undeclared == {}, f"imported but not in [project] dependencies of pyproject.toml: {undeclared}"
