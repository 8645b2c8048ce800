"""Shared fixtures: a real redis-server, and the real Kubernetes control plane (tests/cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.controlplane import ControlPlane
from tests.cluster.fixtures import admin_api, control_plane, namespace  # noqa: F401  (fixtures)
from tests.demo_seed import seed_demo
from tests.redis_server import redis_server

REAL_PARTS = {"control_plane": "cluster", "redis_url": "redis"}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def demo_control_plane(control_plane: ControlPlane) -> ControlPlane:  # noqa: F811
    """The real control plane, seeded once with the demo objects (namespaces shop, payments)."""
    seed_demo(control_plane)
    return control_plane


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark every test by the real parts it uses, so `-m cluster` selects them and the summary counts them.
    for item in items:
        for fixture, marker in REAL_PARTS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for marker, what in (("cluster", "the real Kubernetes control plane"), ("redis", "a real redis-server")):
        counts = {
            outcome: sum(1 for r in terminalreporter.stats.get(outcome, []) if marker in getattr(r, "keywords", {}))
            for outcome in ("passed", "failed", "skipped")
        }
        if not any(counts.values()):
            continue
        terminalreporter.write_line(
            f"against {what}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        )
