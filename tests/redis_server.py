"""Throwaway redis-server (and redis-sentinel) processes on free loopback ports, for tests and
benchmarks: plain, with TLS (a CA and a server certificate made with openssl), or a master, a
replica and a sentinel for failover tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

SERVICE = "mymaster"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    binary = shutil.which(name)
    if binary is None:
        raise RuntimeError(f"{name} is not installed: run `apt-get install {name}` (or scripts/test, which does)")
    return binary


@dataclass
class RedisProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:  # type: ignore[type-arg]
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=5)

    def kill(self) -> None:
        """As a crash would: no shutdown, no last save."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def _running(
    args: list[str], port: int, workdir: Path, name: str, ready: Callable[[RedisProcess], bool] | None = None
) -> Iterator[RedisProcess]:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    proc = RedisProcess(port, process, log)
    try:
        deadline = time.monotonic() + 10
        while not (ready or _answers)(proc):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start on port {port}:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.stop()


def _answers(proc: RedisProcess) -> bool:
    try:
        return bool(proc.client().ping())
    except redis.ConnectionError:
        return False


def _server_args(port: int, workdir: Path, *extra: str) -> list[str]:
    return [
        _binary("redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        *extra,
    ]


@contextmanager
def _workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server (from Debian's package) and yield its URL; stop it afterwards."""
    with _workdir("pilothouse-redis-") as workdir:
        port = free_port()
        with _running(_server_args(port, workdir), port, workdir, "redis-server") as proc:
            yield proc.url


@dataclass(frozen=True)
class TlsRedis:
    url: str  # rediss://127.0.0.1:PORT/0
    ca_file: Path  # the CA that signed the server's certificate
    other_ca_file: Path  # a CA that did not


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(name: str, cwd: Path) -> None:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        f"/CN={name}",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.crt",
        cwd=cwd,
    )


@contextmanager
def tls_redis_server() -> Iterator[TlsRedis]:
    """redis-server that speaks only TLS, with a certificate for 127.0.0.1 signed by a test CA."""
    with _workdir("pilothouse-redis-tls-") as workdir:
        _make_ca("ca", workdir)
        _make_ca("other-ca", workdir)
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            cwd=workdir,
        )
        (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
            cwd=workdir,
        )
        port = free_port()
        args = _server_args(
            0,
            workdir,
            "--tls-port",
            str(port),
            "--tls-cert-file",
            "server.crt",
            "--tls-key-file",
            "server.key",
            "--tls-ca-cert-file",
            "ca.crt",
            "--tls-auth-clients",
            "no",
        )

        def ready(proc: RedisProcess) -> bool:
            try:
                client = redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(workdir / "ca.crt"))
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        with _running(args, port, workdir, "redis-server-tls", ready):
            yield TlsRedis(f"rediss://127.0.0.1:{port}/0", workdir / "ca.crt", workdir / "other-ca.crt")


@dataclass
class SentinelSetup:
    master: RedisProcess
    replica: RedisProcess
    sentinel: RedisProcess

    @property
    def sentinels(self) -> str:
        return f"127.0.0.1:{self.sentinel.port}"

    def wait_for_replica(self, timeout: float = 10) -> None:
        """Until the replica has everything the master had written by now (replication is async)."""
        written = self.master.client().info("replication")["master_repl_offset"]
        _wait(
            lambda: self.replica.client().info("replication").get("slave_repl_offset", -1) >= written,
            "the replica to catch up",
            timeout,
        )

    def master_port(self) -> int:
        _host, port = self.sentinel.client().execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
        return int(port)


@contextmanager
def sentinel_setup() -> Iterator[SentinelSetup]:
    """A master, its replica and one sentinel (quorum 1) watching them, ready for a failover:
    the sentinel declares the master down after 1 s without an answer."""
    with _workdir("pilothouse-sentinel-") as workdir, ExitStack() as stack:
        master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
        master = stack.enter_context(
            _running(_server_args(master_port, workdir / "m"), master_port, _mkdir(workdir / "m"), "master")
        )
        replica_args = _server_args(replica_port, workdir / "r", "--replicaof", "127.0.0.1", str(master_port))
        replica = stack.enter_context(_running(replica_args, replica_port, _mkdir(workdir / "r"), "replica"))
        conf = _mkdir(workdir / "s") / "sentinel.conf"
        conf.write_text(
            f"port {sentinel_port}\nbind 127.0.0.1\ndir {conf.parent}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
        )
        sentinel = stack.enter_context(
            _running([_binary("redis-sentinel"), str(conf)], sentinel_port, conf.parent, "sentinel")
        )
        setup = SentinelSetup(master, replica, sentinel)
        _wait(lambda: _replica_known(setup), "the sentinel to see the replica in sync", 30)
        yield setup


def _replica_known(setup: SentinelSetup) -> bool:
    replicas = setup.sentinel.client().execute_command("SENTINEL", "replicas", SERVICE)
    in_sync = setup.replica.client().info("replication").get("master_link_status") == "up"
    return in_sync and any(str(setup.replica.port) in str(r) for r in replicas)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wait(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)
