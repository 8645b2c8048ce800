"""A real Kubernetes v1.20.2 control plane on loopback, for tests and local demos.

etcd + kube-apiserver + kube-controller-manager run as child processes in a temp dir; a fake
kubelet (logs) and a fake node agent (scheduling, pod status) stand in for nodes.
Binaries come from tests/cluster/build.sh (see kube-test-control-plane.md in the shared notes).

    with ControlPlane() as cp:
        api = cp.admin_api_client()
"""

from __future__ import annotations

import atexit
import ctypes
import http.client
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml
from kubernetes import config as kube_config
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from tests.cluster.kubelet import FakeKubelet
from tests.cluster.node_agent import NODE_NAME, NodeAgent, create_node
from tests.cluster.rest import JSON, request

K8S_VERSION = "v1.20.2"
BUILD = "r2"  # as in build.sh: the build of the binaries, bumped when it changes
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
BOT_USER = "pilothouse-bot"
DIR_PREFIX = "pilothouse-k8s-"
# Controllers that need a cloud, real nodes or a network plugin are off; the rest give
# Deployment -> ReplicaSet -> Pod, GC, namespace deletion and default ServiceAccounts.
CONTROLLERS = (
    "*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route,-attachdetach,"
    "-persistentvolume-binder,-persistentvolume-expander"
)
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded before any fork (dlopen after fork can hang)


class ControlPlaneError(RuntimeError):
    """The control plane cannot start: missing binaries, or a component failed (log tail included)."""


def cache_dir() -> Path:
    return Path(os.environ.get("PILOTHOUSE_CACHE") or Path.home() / ".cache" / "pilothouse")


def default_bin_dir() -> Path:
    """PILOTHOUSE_K8S_BIN, else where build.sh puts the binaries."""
    env = os.environ.get("PILOTHOUSE_K8S_BIN")
    return Path(env) if env else cache_dir() / f"k8s-{K8S_VERSION}-{BUILD}" / "bin"


def check_binaries(bin_dir: Path) -> None:
    missing = [b for b in BINARIES if not os.access(bin_dir / b, os.X_OK)]
    if missing:
        raise ControlPlaneError(
            f"missing {', '.join(missing)} in {bin_dir}: run tests/cluster/build.sh "
            "(or `python -m tests.cluster build`; set PILOTHOUSE_K8S_BIN to use other binaries)"
        )


def sweep_stale_dirs() -> None:
    """Removes temp dirs left by test processes that were killed before stop()."""
    for path in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            os.kill(int((path / "owner.pid").read_text()), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            pass  # starting up, or not ours to judge


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    # Children get SIGTERM if the test process dies without stop(): no orphan apiservers.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _client_from(kubeconfig: Path) -> ApiClient:
    api: ApiClient = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig)
    )
    return api


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise ControlPlaneError(
                f"{self.name} exited with {self.popen.returncode}; last lines of {self.log}:\n" + _tail(self.log)
            )

    def terminate(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_or_kill(self, timeout: float) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return 0.0
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        return kb / 1024


class ControlPlane:
    """Context manager; attributes are valid once started (see module docstring)."""

    def __init__(
        self,
        bin_dir: Path | str | None = None,
        *,
        node_agent: bool = True,
        startup_timeout: float = 60.0,
        keep_dir: bool = False,
    ) -> None:
        self.bin_dir = Path(bin_dir) if bin_dir else default_bin_dir()
        self.admin_token = secrets.token_hex(16)
        self.bot_token = secrets.token_hex(16)
        self.bot_user = BOT_USER
        self.server = ""
        self.startup_seconds = 0.0
        self._with_agent = node_agent
        self._timeout = startup_timeout
        self._keep_dir = keep_dir
        self._procs: list[_Process] = []
        self._dir: Path | None = None
        self.kubelet: FakeKubelet | None = None
        self.node_agent: NodeAgent | None = None
        self._api: ApiClient | None = None

    # --- paths -----------------------------------------------------------------------------
    @property
    def dir(self) -> Path:
        if self._dir is None:
            raise ControlPlaneError("control plane not started")
        return self._dir

    @property
    def ca_file(self) -> Path:
        return self.dir / "certs" / "apiserver.crt"

    @property
    def kubeconfig_dir(self) -> Path:
        return self.dir / "kubeconfig"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.kubeconfig_dir / "admin.yaml"

    @property
    def bot_kubeconfig(self) -> Path:
        return self.kubeconfig_dir / "bot.yaml"

    @property
    def kubelet_port(self) -> int:
        assert self.kubelet is not None
        return self.kubelet.port

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Self:
        check_binaries(self.bin_dir)
        begin = time.monotonic()
        sweep_stale_dirs()
        self._dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self._dir / "owner.pid").write_text(str(os.getpid()))
        atexit.register(self.stop)
        try:
            self._start_components()
        except BaseException:
            self._keep_dir = True  # keep the logs named in the error; swept by a later start
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - begin
        return self

    def _start_components(self) -> None:
        (self.dir / "logs").mkdir()
        self._write_secrets()
        self.kubelet = FakeKubelet(self.dir)  # its cert must exist before the apiserver starts
        etcd_port, api_port = free_port(), free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self._spawn("etcd", self._etcd_args(etcd_port))
        self._spawn("kube-apiserver", self._apiserver_args(etcd_port, api_port))
        self._wait_ready()
        self._write_kubeconfigs()
        self._spawn("kube-controller-manager", self._controller_manager_args())
        self.kubelet.start()
        self._api = self.admin_api_client()
        create_node(self._api, NODE_NAME, self.kubelet_port)
        if self._with_agent:
            self.node_agent = NodeAgent(self._api)
            self.node_agent.start()
        self._wait_for_default_service_account()

    def stop(self) -> None:
        """Stops everything (SIGTERM, then SIGKILL after 10 s) and removes the temp dir."""
        atexit.unregister(self.stop)
        if self.node_agent:
            self.node_agent.stop()
            self.node_agent = None
        if self.kubelet:
            self.kubelet.stop()
            self.kubelet = None
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in reversed(self._procs):
            proc.wait_or_kill(10)
        self._procs.clear()
        if self._api:
            self._api.close()  # type: ignore[no-untyped-call]
            self._api = None
        if self._dir and not self._keep_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    # --- clients ---------------------------------------------------------------------------
    def admin_api_client(self) -> ApiClient:
        """A new ApiClient from the admin kubeconfig (system:masters); close() it when done."""
        return _client_from(self.admin_kubeconfig)

    def bot_api_client(self) -> ApiClient:
        """A new ApiClient for `pilothouse-bot`, which has no RBAC rights until granted."""
        return _client_from(self.bot_kubeconfig)

    def add_node(self, name: str, **options: Any) -> JSON:
        """Registers another fake node served by the fake kubelet (options: see node_manifest)."""
        assert self._api is not None
        return create_node(self._api, name, self.kubelet_port, **options)

    def memory_mb(self) -> dict[str, float]:
        """Resident memory of each child process (the Python side is not included)."""
        return {p.name: round(p.rss_mb(), 1) for p in self._procs}

    # --- internals -------------------------------------------------------------------------
    def _write_secrets(self) -> None:
        sa_key, sa_pub = self.dir / "sa.key", self.dir / "sa.pub"
        subprocess.run(["openssl", "genrsa", "-out", str(sa_key), "2048"], check=True, capture_output=True)
        subprocess.run(
            ["openssl", "rsa", "-in", str(sa_key), "-pubout", "-out", str(sa_pub)], check=True, capture_output=True
        )
        # The bot has no group but system:authenticated: RBAC denials are real.
        (self.dir / "tokens.csv").write_text(
            f'{self.admin_token},admin,admin-uid,"system:masters"\n{self.bot_token},{BOT_USER},{BOT_USER}-uid\n'
        )

    def _etcd_args(self, port: int) -> list[str]:
        url = f"http://127.0.0.1:{port}"
        return [
            "--data-dir",
            str(self.dir / "etcd"),
            "--listen-client-urls",
            url,
            "--advertise-client-urls",
            url,
            "--listen-peer-urls",
            "http://127.0.0.1:0",
            "--unsafe-no-fsync=true",
        ]

    def _apiserver_args(self, etcd_port: int, port: int) -> list[str]:
        assert self.kubelet is not None
        d = self.dir
        return [
            "--etcd-servers",
            f"http://127.0.0.1:{etcd_port}",
            "--bind-address",
            "127.0.0.1",
            "--secure-port",
            str(port),
            "--insecure-port",
            "0",
            "--cert-dir",
            str(d / "certs"),
            "--token-auth-file",
            str(d / "tokens.csv"),
            "--authorization-mode",
            "RBAC",
            "--service-account-issuer",
            "https://kubernetes.default.svc",
            "--service-account-key-file",
            str(d / "sa.pub"),
            "--service-account-signing-key-file",
            str(d / "sa.key"),
            "--service-cluster-ip-range",
            "10.0.0.0/24",
            "--allow-privileged=true",
            "--kubelet-certificate-authority",
            str(self.kubelet.cert_file),
            "--kubelet-preferred-address-types",
            "InternalIP",
            # 127.0.0.1 is not a valid Endpoints address; nothing needs the `kubernetes` endpoints.
            "--endpoint-reconciler-type",
            "none",
        ]

    def _controller_manager_args(self) -> list[str]:
        return [
            "--kubeconfig",
            str(self.admin_kubeconfig),
            "--leader-elect=false",
            "--port",
            "0",
            "--secure-port",
            "0",
            "--service-account-private-key-file",
            str(self.dir / "sa.key"),
            "--root-ca-file",
            str(self.ca_file),
            "--controllers",
            CONTROLLERS,
        ]

    def _spawn(self, name: str, args: list[str]) -> None:
        log = self.dir / "logs" / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [str(self.bin_dir / name), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self._procs.append(_Process(name, popen, log))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            for proc in self._procs:
                proc.check_alive()
            if self.ca_file.exists() and self._readyz():
                return
            time.sleep(0.1)
        raise ControlPlaneError(
            f"kube-apiserver not ready after {self._timeout} s:\n" + _tail(self.dir / "logs" / "kube-apiserver.log")
        )

    def _readyz(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        # The port listens before the apiserver serves: keep each try short.
        conn = http.client.HTTPSConnection(self.server.removeprefix("https://"), context=ctx, timeout=0.5)
        try:
            conn.request("GET", "/readyz", headers={"Authorization": f"Bearer {self.admin_token}"})
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def _wait_for_default_service_account(self) -> None:
        """The controller-manager works once it has made `default/default`; pods need it."""
        assert self._api is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            for proc in self._procs:
                proc.check_alive()
            if self._default_service_account_ready():
                return
            time.sleep(0.1)
        raise ControlPlaneError(
            "kube-controller-manager made no default ServiceAccount:\n"
            + _tail(self.dir / "logs" / "kube-controller-manager.log")
        )

    def _default_service_account_ready(self) -> bool:
        assert self._api is not None
        try:
            sa = request(self._api, "GET", "/api/v1/namespaces/default/serviceaccounts/default")
        except ApiException:
            return False
        return bool(sa.get("secrets"))  # the token controller has run too

    def _write_kubeconfigs(self) -> None:
        self.kubeconfig_dir.mkdir(exist_ok=True)
        for path, user, token in (
            (self.admin_kubeconfig, "test-admin", self.admin_token),
            (self.bot_kubeconfig, "test-bot", self.bot_token),
        ):
            path.write_text(yaml.safe_dump(self._kubeconfig(user, token), sort_keys=False))
            path.chmod(0o600)

    def _kubeconfig(self, user: str, token: str) -> JSON:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": user,
            "clusters": [
                {
                    "name": "pilothouse-test",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [
                {"name": user, "context": {"cluster": "pilothouse-test", "user": user, "namespace": "default"}}
            ],
        }
