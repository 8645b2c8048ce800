"""Rendering the chart with the real helm binary, and validating what it renders."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent.parent
CHART = ROOT / "helm" / "pilothouse"
VALUES = Path(__file__).resolve().parent / "values"
RELEASE, NAMESPACE = "ph", "ops"
# Kinds Kubernetes itself does not define: validated against the CRD's schema (trimmed to what
# the chart uses), since kubernetes-validate knows only built-in kinds.
CRD_SCHEMAS = {("monitoring.coreos.com/v1", "ServiceMonitor"): Path(__file__).resolve().parent / "servicemonitor.json"}

Doc = dict[str, Any]


class HelmFailed(AssertionError):
    """helm exited non-zero; the message is its stderr."""


@dataclass(frozen=True)
class Helm:
    binary: Path

    def run(self, *args: str) -> str:
        result = subprocess.run([str(self.binary), *args], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise HelmFailed(result.stderr.strip() or result.stdout.strip())
        return result.stdout

    def template(
        self, *files: str | Path, kube: str = "1.29.0", sets: tuple[str, ...] = (), namespace: str = NAMESPACE
    ) -> list[Doc]:
        args = ["template", RELEASE, str(CHART), "-n", namespace, "--kube-version", kube]
        for f in files:
            args += ["-f", str(f)]
        for s in sets:
            args += ["--set", s]
        return [d for d in yaml.safe_load_all(self.run(*args)) if d]

    def notes(self, *files: str | Path, sets: tuple[str, ...] = ()) -> str:
        """NOTES.txt as `helm install` prints it (a client-side dry run: no cluster needed)."""
        args = ["install", RELEASE, str(CHART), "-n", NAMESPACE, "--dry-run=client"]
        for f in files:
            args += ["-f", str(f)]
        for s in sets:
            args += ["--set", s]
        return self.run(*args).partition("NOTES:")[2]

    def lint(self, *files: str | Path, kube: str = "1.29.0") -> str:
        args = ["lint", "--strict", "--kube-version", kube, str(CHART)]
        for f in files:
            args += ["-f", str(f)]
        return self.run(*args)


def scenario(name: str) -> list[Path]:
    """The values files of a named scenario (`defaults`: none)."""
    return [] if name == "defaults" else [VALUES / f"{name}.yaml"]


def validate(doc: Doc, version: str) -> None:
    """Strict validation for Kubernetes `version`; an unknown kind is a failure, not a warning."""
    crd = CRD_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
    if crd is not None:
        errors = sorted(Draft202012Validator(json.loads(crd.read_text())).iter_errors(doc), key=str)
        assert not errors, f"{doc['kind']} {doc['metadata']['name']}: {errors[0].message}"
        return
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        raise AssertionError(f"{doc['apiVersion']} {doc['kind']}: no schema for Kubernetes {version}") from None
    except kubernetes_validate.ValidationError as e:
        where = ".".join(str(p) for p in e.path)
        raise AssertionError(f"{doc['kind']} {doc['metadata']['name']}: {where}: {e.message}") from None


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Doc], kind: str) -> Doc:
    found = of_kind(docs, kind)
    assert len(found) == 1, f"{len(found)} {kind}s"
    return found[0]


def env_of(docs: list[Doc]) -> dict[str, Any]:
    """The bot container's environment: name → value, or the valueFrom of a Secret reference;
    with what `envFrom` takes from the chart's own ConfigMaps (a ConfigMap it did not make is
    named as {"configMapRef": name})."""
    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, Any] = {}
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in of_kind(docs, "ConfigMap")}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env.update(maps.get(name, {f"configMapRef:{name}": name}))
    env.update({e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]})
    return env
