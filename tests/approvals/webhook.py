"""A validating admission webhook that makes the real API server slow for one Deployment: a
real (not dry-run) update of it by one user waits inside the API server, in the webhook, until
the test releases it; every other request (dry runs, the controllers' own updates) is allowed
at once. So a Pilothouse process can be caught, honestly, in the middle of its real write.

Served over TLS on loopback with a self-signed certificate for 127.0.0.1 (made with openssl),
whose PEM is the webhook configuration's caBundle.
"""

from __future__ import annotations

import base64
import json
import shutil
import ssl
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from kubernetes.client import ApiClient

from tests.cluster.objects import apply_objects
from tests.cluster.rest import request

LABEL = "pilothouse.test/held"  # the Deployment to hold carries it, valued with its namespace
CONFIGURATIONS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


class HoldingWebhook:
    def __init__(self, api: ApiClient, *, namespace: str, user: str) -> None:
        self.api, self.namespace, self.user = api, namespace, user
        self.arrived = threading.Event()  # a held update reached the webhook
        self._released = threading.Event()
        self.abandoned = threading.Event()  # the API server hung up before the webhook answered
        self.name = f"hold-{namespace}"
        self._dir = Path(tempfile.mkdtemp(prefix="pilothouse-webhook-"))
        cert, key = self._dir / "tls.crt", self._dir / "tls.key"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
            ],
            check=True,
            capture_output=True,
        )
        self._pem = cert.read_bytes()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @staticmethod
    def labels(namespace: str) -> dict[str, str]:
        """The labels that put a Deployment under the webhook."""
        return {LABEL: namespace}

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True, name="webhook").start()
        apply_objects(self.api, [self._configuration()])
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
        request(self.api, "DELETE", f"{CONFIGURATIONS}/{self.name}")
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _configuration(self) -> dict[str, Any]:
        port = self._server.server_address[1]
        rule = {
            "operations": ["UPDATE"],
            "apiGroups": ["apps"],
            "apiVersions": ["v1"],
            "resources": ["deployments"],
            "scope": "Namespaced",
        }
        hook = {
            "name": "hold.pilothouse.test",
            "clientConfig": {"url": f"https://127.0.0.1:{port}/", "caBundle": base64.b64encode(self._pem).decode()},
            "rules": [rule],
            "objectSelector": {"matchLabels": self.labels(self.namespace)},
            "sideEffects": "None",  # so dry runs are sent here too (and let through)
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 30,
            "failurePolicy": "Fail",
        }
        return {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": self.name},
            "webhooks": [hook],
        }

    def _holds(self, review: dict[str, Any]) -> bool:
        asked = review["request"]
        return not asked.get("dryRun") and asked["userInfo"]["username"] == self.user

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if webhook._holds(review):
                    webhook.arrived.set()
                    webhook._released.wait(25)  # under the API server's 30 s webhook timeout
                body = json.dumps(
                    {
                        "apiVersion": "admission.k8s.io/v1",
                        "kind": "AdmissionReview",
                        "response": {"uid": review["request"]["uid"], "allowed": True},
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    webhook.abandoned.set()  # the API server gave up the request meanwhile

            def log_message(self, *_: Any) -> None:
                return None

        return Handler
