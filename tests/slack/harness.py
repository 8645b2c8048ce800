"""Run a Bolt app the two ways Slack reaches it, for the length of a `with` block.

- `serve_http(app)`: Bolt's WSGI adapter under a threaded wsgiref server on 127.0.0.1; yields the events URL
  to give `signing.SlackSender`.
- `run_socket_mode(app, server)`: Bolt's builtin `SocketModeHandler`; it finds the fake socket server through
  ``apps.connections.open`` on ``app.client`` (so build the app with ``WebClient(base_url=fake.api_url)``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from .socket_mode import FakeSocketModeServer

APP_TOKEN = "xapp-1-A1-1-fake"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = False  # server_close() joins the request threads
    block_on_close = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_http(app: App, path: str = "/slack/events") -> Iterator[str]:
    server = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app, path), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="bolt-http")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def run_socket_mode(
    app: App, server: FakeSocketModeServer | None = None, app_token: str = APP_TOKEN, **options: Any
) -> Iterator[SocketModeHandler]:
    """Connect `app` over Socket Mode; close it afterwards. `options` go to `SocketModeHandler`.

    ``connect()`` returns on the HTTP 101, a moment before the server has listed the connection; given the
    `server`, this also waits for that (`server.send()` waits by itself, `server.disconnect()` does not).
    """
    handler = SocketModeHandler(app, app_token, **options)
    handler.connect()
    if server is not None:
        server.wait_for_connection()
    try:
        yield handler
    finally:
        close_socket_mode(handler)


def close_socket_mode(handler: SocketModeHandler) -> None:
    """`handler.close()`, in milliseconds rather than up to 4 s.

    The builtin client's receive thread sits in a blocking ``recv()`` (3 s timeout) holding the lock that
    ``close()`` needs, so shut the socket down first to make that ``recv()`` return at once; and its message
    processor waits up to 1 s on its queue before it looks at ``closed``, so wake it (None is skipped).
    """
    client = handler.client
    session = client.current_session
    if session is not None and session.sock is not None:
        with contextlib.suppress(OSError):
            session.sock.shutdown(socket.SHUT_RDWR)
    client.closed = True
    client.message_queue.put(None)
    handler.close()
