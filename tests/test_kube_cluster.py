"""The real Cluster adapter against a real API server: RBAC, failures, paging, many clusters."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from commands.errors import Forbidden, NotFound, Unreachable
from integrations.cluster import kube
from integrations.cluster.kube import clusters_from_kubeconfig
from tests.chat import chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.pods import cluster_from, make_pods
from tests.manifests import view_binding

pytestmark = pytest.mark.cluster


def kubeconfig_variant(control_plane: ControlPlane, tmp_path: Path, name: str, **changes: str) -> Path:
    """The admin kubeconfig with its server, token or CA replaced."""
    config = yaml.safe_load(control_plane.admin_kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    if "server" in changes:
        cluster["server"] = changes["server"]
    if "ca" in changes:
        cluster["certificate-authority"] = changes["ca"]
    if "token" in changes:
        user["token"] = changes["token"]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a hung API server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_version_and_identity(control_plane: ControlPlane) -> None:
    admin = cluster_from(control_plane.admin_kubeconfig)
    info = admin.info()
    assert info.reachable and info.version == "v1.20.2"
    assert info.server == control_plane.server
    text = chat(admin).say("whoami")
    assert re.search(r"test-admin \(default\) +test-admin +Pilothouse.s own credentials", text)


def test_rbac_refusal_names_verb_resource_namespace_and_user(control_plane: ControlPlane, namespace: str) -> None:
    bot = cluster_from(control_plane.bot_kubeconfig)
    with pytest.raises(Forbidden) as e:
        bot.list_pods(namespace)
    assert e.value.verb == "list" and e.value.resource == "pods" and e.value.user == control_plane.bot_user
    text = chat(bot).say(f"get pods -n {namespace}")
    assert text.startswith(f"✖ Kubernetes refused to list pods in namespace `{namespace}` on cluster `test-bot`")
    assert "for `pilothouse-bot`" in text and "(Kubernetes RBAC)" in text
    assert "cluster-wide" in chat(bot).say("get nodes")


def test_a_rolebinding_opens_one_namespace_only(control_plane: ControlPlane, namespace: str) -> None:
    api = control_plane.admin_api_client()
    apply_objects(api, [view_binding(namespace, control_plane.bot_user)])
    make_pods(control_plane, namespace, 1, app="viewed")
    bot = chat(cluster_from(control_plane.bot_kubeconfig))
    assert "viewed-" in bot.say(f"get pods -n {namespace}")
    assert "Kubernetes refused to list pods in namespace `default`" in bot.say("get pods -n default")


def test_paged_lists_return_every_item(
    control_plane: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pods(control_plane, namespace, 7)
    admin = cluster_from(control_plane.admin_kubeconfig)
    admin.discover()  # read (and kept) before: only the list's own pages are counted
    pages: list[int] = []
    original = admin._get_json

    def counting(path: str, query: list[tuple[str, str]], call: object, *accept: str) -> dict[str, object]:
        result = original(path, query, call, *accept)  # type: ignore[arg-type]
        pages.append(len(result.get("items") or []))  # type: ignore[arg-type]
        return result

    monkeypatch.setattr(kube, "PAGE_SIZE", 3)
    monkeypatch.setattr(admin, "_get_json", counting)
    pods = admin.list_pods(namespace)
    assert len(pods) == 7
    assert len({p.name for p in pods}) == 7
    assert pages == [3, 3, 1]


def test_selectors_are_applied_by_the_server(control_plane: ControlPlane, namespace: str) -> None:
    make_pods(control_plane, namespace, 2, app="one")
    make_pods(control_plane, namespace, 1, app="two")
    admin = cluster_from(control_plane.admin_kubeconfig)
    assert {p.name.split("-")[0] for p in admin.list_pods(namespace, "app=two")} == {"two"}
    assert len(admin.list_pods(namespace, "app in (one,two)")) == 3
    assert admin.list_pods(namespace, "app notin (one,two)") == []


def test_get_of_a_missing_object_is_not_found(control_plane: ControlPlane, namespace: str) -> None:
    admin = cluster_from(control_plane.admin_kubeconfig)
    with pytest.raises(NotFound) as e:
        admin.get_deployment(namespace, "nothing")
    assert (e.value.kind, e.value.name, e.value.namespace) == ("deployment", "nothing", namespace)


def test_logs_honour_tail(control_plane: ControlPlane, namespace: str) -> None:
    make_pods(control_plane, namespace, 1, app="talker")
    admin = cluster_from(control_plane.admin_kubeconfig)
    pod = admin.list_pods(namespace)[0].name
    assert len(admin.pod_logs(namespace, pod, "c", 3)) == 3
    text = chat(admin).say(f"logs {pod} -n {namespace} --tail 2")
    assert text.splitlines()[0] == f"Last 2 lines of `{namespace}/{pod}` (c) on `test-admin`"
    assert len(text.splitlines()) == 3


def test_refused_connection_is_reported_with_the_cluster(control_plane: ControlPlane, tmp_path: Path) -> None:
    path = kubeconfig_variant(control_plane, tmp_path, "down", server=f"https://127.0.0.1:{closed_port()}")
    down = cluster_from(path)
    with pytest.raises(Unreachable, match="could not be reached: connection refused"):
        down.list_pods("default")
    text = chat(down).say("get pods")
    assert text.startswith("✖ Cluster `test-admin` could not be reached: connection refused.")
    assert "reference: " in text


def test_a_hung_server_times_out(control_plane: ControlPlane, tmp_path: Path, silent_server: int) -> None:
    path = kubeconfig_variant(control_plane, tmp_path, "hung", server=f"https://127.0.0.1:{silent_server}")
    hung = cluster_from(path, timeout=1)
    with pytest.raises(Unreachable) as e:
        hung.list_nodes()
    assert "could not be reached" in e.value.message
    assert "timed out" in e.value.message or "no answer within 1 s" in e.value.message


def test_wrong_certificate_authority_is_a_tls_failure(control_plane: ControlPlane, tmp_path: Path) -> None:
    other_ca = next(control_plane.dir.rglob("kubelet.crt"))
    path = kubeconfig_variant(control_plane, tmp_path, "badca", ca=str(other_ca))
    with pytest.raises(Unreachable, match="TLS failed"):
        cluster_from(path).list_nodes()


def test_wrong_token_is_a_credentials_error(control_plane: ControlPlane, tmp_path: Path) -> None:
    path = kubeconfig_variant(control_plane, tmp_path, "badtoken", token="not-the-token")
    text = chat(cluster_from(path)).say("get nodes")
    assert "did not accept Pilothouse's credentials (401 Unauthorized)" in text
    assert "not-the-token" not in text


def test_many_clusters_from_one_kubeconfig(control_plane: ControlPlane, tmp_path: Path) -> None:
    admin = yaml.safe_load(control_plane.admin_kubeconfig.read_text())
    bot = yaml.safe_load(control_plane.bot_kubeconfig.read_text())
    down = kubeconfig_variant(control_plane, tmp_path, "down", server=f"https://127.0.0.1:{closed_port()}")
    broken = yaml.safe_load(down.read_text())
    for part in ("clusters", "contexts", "users"):
        for entry in broken[part]:
            entry["name"] = "broken"
        for entry in broken["contexts"]:
            entry["context"].update(cluster="broken", user="broken")
    merged = dict(admin)
    for part in ("clusters", "contexts", "users"):
        merged[part] = admin[part] + bot[part] + broken[part]
    path = tmp_path / "merged.yaml"
    path.write_text(yaml.safe_dump(merged))

    clusters, current = clusters_from_kubeconfig(str(path), timeout=5)
    assert {c.name for c in clusters} == {"test-admin", "test-bot", "broken"}
    from bot.pipeline import Message, Pipeline
    from commands import default_registry
    from integrations.cluster.clusters import Clusters
    from integrations.render.text import render
    from integrations.store.memory import MemoryStore

    pipeline = Pipeline(
        registry=default_registry(),
        clusters=Clusters(clusters, current),
        store=MemoryStore(),
    )

    def say(text: str) -> str:
        return render(pipeline.handle(Message("alice", "C1", text)))

    table = say("clusters")
    assert re.search(r"test-admin \(default\) +yes +v1.20.2", table)
    assert re.search(r"test-bot +yes +v1.20.2", table)
    assert re.search(r"broken +NO .*connection refused", table)
    assert "Unreachable: broken." in table
    # One broken cluster never blocks the others; each keeps its own RBAC.
    assert "Nodes on `test-admin`" in say("get nodes")
    assert "Kubernetes refused to list nodes" in say("get nodes --cluster test-bot")
    assert "Cluster `broken` could not be reached" in say("get nodes --cluster broken")


def test_pilothouse_command_with_a_kubeconfig_and_redis(
    control_plane: ControlPlane, redis_url: str, namespace: str
) -> None:
    import redis

    make_pods(control_plane, namespace, 2, app="shell")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env.update(PILOTHOUSE_KUBECONFIG=str(control_plane.admin_kubeconfig), PILOTHOUSE_REDIS_URL=redis_url)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pilothouse"), "--user", "erin"],
        input=f"get pods -n {namespace}\nclusters\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("shell-") == 2
    assert "v1.20.2" in result.stdout
    entries = redis.Redis.from_url(redis_url, decode_responses=True).xrevrange("pilothouse:audit", count=2)
    assert any('"user":"erin"' in e["v"] and '"command":"get pods"' in e["v"] for _, e in entries)
