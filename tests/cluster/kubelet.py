"""Fake kubelet: just enough HTTPS for `kubectl logs` / `read_namespaced_pod_log`.

The apiserver proxies log requests to the node's InternalIP and kubeletEndpoint port and
verifies the certificate against `--kubelet-certificate-authority`, so the certificate needs a
subjectAltName for 127.0.0.1 (a CN-only one fails with "legacy Common Name field").
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

LogSource = Callable[[str, str, str], list[str]]
# Fixed origin so timestamped output is deterministic too.
LOG_EPOCH = datetime(2021, 1, 13, 12, 0, 0, tzinfo=UTC)


def fallback_log_lines(namespace: str, pod: str, container: str) -> list[str]:
    """Deterministic lines that differ per container; used when the app provides none."""
    seed = int(hashlib.sha256(f"{namespace}/{pod}/{container}".encode()).hexdigest(), 16)
    levels = ("INFO", "INFO", "INFO", "WARN", "ERROR")
    return [
        f"{levels[(seed >> i) % len(levels)]} {container}: request {i} handled in {(seed >> i) % 97} ms"
        for i in range(1, 21)
    ]


def default_log_source() -> LogSource:
    """The application's demo log lines if present (written in parallel), else ours."""
    try:
        from integrations.cluster.demo import log_lines
    except ImportError:
        return fallback_log_lines
    return log_lines


def generate_cert(directory: Path) -> tuple[Path, Path]:
    """Self-signed cert + key for 127.0.0.1 (with subjectAltName) in `directory`."""
    cert, key = directory / "kubelet.crt", directory / "kubelet.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def render(lines: list[str], query: dict[str, list[str]]) -> bytes:
    """Applies the kubelet's `tailLines`, `timestamps` and `limitBytes` query parameters (the byte
    limit counts from the start of the lines selected, as the kubelet's does)."""
    stamped = (
        [
            f"{(LOG_EPOCH + timedelta(seconds=i)).strftime('%Y-%m-%dT%H:%M:%S.000000000Z')} {line}"
            for i, line in enumerate(lines)
        ]
        if query.get("timestamps", ["false"])[0] == "true"
        else list(lines)
    )
    tail = query.get("tailLines")
    if tail and int(tail[0]) >= 0:
        stamped = stamped[len(stamped) - min(int(tail[0]), len(stamped)) :]
    body = "".join(f"{line}\n" for line in stamped).encode()
    limit = query.get("limitBytes")
    return body[: int(limit[0])] if limit and int(limit[0]) > 0 else body


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        if parts == ["healthz"]:
            self._reply(200, b"ok")
        elif len(parts) == 4 and parts[0] == "containerLogs":
            self.server.asked.append(parse_qs(url.query))
            lines = self.server.written.get(parts[3]) or self.server.log_source(parts[1], parts[2], parts[3])
            self._reply(200, render(lines, parse_qs(url.query)))
        else:
            self._reply(404, f"not found: {url.path}\n".encode())

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("kubelet: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    log_source: LogSource
    written: dict[str, list[str]]  # by container name: what `FakeKubelet.writing` makes it say
    asked: list[dict[str, list[str]]]  # the query of every log request, in order


class FakeKubelet:
    """HTTPS server on 127.0.0.1; the socket is bound at construction, served after start()."""

    def __init__(self, directory: Path, log_source: LogSource | None = None) -> None:
        self.cert_file, self.key_file = generate_cert(directory)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.log_source = log_source or default_log_source()
        self._server.written = {}
        self._server.asked = []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-kubelet", daemon=True)

    @contextmanager
    def writing(self, container: str, lines: list[str]) -> Iterator[None]:
        """Containers named `container` have written `lines` (e.g. one huge line), for the block."""
        self._server.written[container] = lines
        try:
            yield
        finally:
            del self._server.written[container]

    @property
    def log_queries(self) -> list[dict[str, list[str]]]:
        """What each log request asked for (the API server passes `tailLines`, `limitBytes` on)."""
        return self._server.asked

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
