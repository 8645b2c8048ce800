"""`python -m tests.cluster up|build`: run a local test control plane, or build its binaries."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

BUILD_SCRIPT = Path(__file__).with_name("build.sh")


def build() -> int:
    return subprocess.call(["bash", str(BUILD_SCRIPT)])


def up(seed: bool) -> int:
    from tests.cluster.controlplane import ControlPlane

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ControlPlane() as cp:
        print(f"# Kubernetes v1.20.2 at {cp.server} (started in {cp.startup_seconds:.1f} s)")
        if seed:
            from tests.demo_seed import seed_demo

            seed_demo(cp)
            print("# seeded with the demo objects (namespaces shop and payments)")
        print(f"export KUBECONFIG={cp.admin_kubeconfig}   # admin (system:masters)")
        print(f"# export KUBECONFIG={cp.bot_kubeconfig}   # {cp.bot_user}, no RBAC rights")
        print(f"# logs: {cp.dir / 'logs'}; Ctrl-C to stop", flush=True)
        stop.wait()
        print("# stopping", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster", description=__doc__)
    parser.add_argument("command", choices=("up", "build"))
    parser.add_argument("--seed", action="store_true", help="with up: apply the demo objects")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return build() if args.command == "build" else up(args.seed)


if __name__ == "__main__":
    sys.exit(main())
