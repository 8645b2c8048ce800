"""Pytest fixtures for the test control plane; import them into a conftest.py or test module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """One control plane for the whole session (start-up ~3 s); fails if build.sh never ran."""
    with ControlPlane() as cp:
        yield cp


@pytest.fixture(scope="session")
def admin_api(control_plane: ControlPlane) -> Iterator[ApiClient]:
    """An admin ApiClient (system:masters)."""
    api = control_plane.admin_api_client()
    yield api
    api.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def namespace(admin_api: ApiClient) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (tests share one cluster)."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    apply_objects(admin_api, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])
    yield name
    try:
        request(admin_api, "DELETE", f"/api/v1/namespaces/{name}")
    except ApiException as e:
        if e.status != 404:
            raise
