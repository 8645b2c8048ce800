"""Serving the Bolt app: Socket Mode or the HTTP Events API, plus the ops endpoints.

HTTP is served by waitress, a production WSGI server with a thread pool: Bolt's own
`app.start()` server is for development and drops acks under concurrent load.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from waitress import wasyncore
from waitress.server import create_server

from bot.ops import WsgiApp

log = logging.getLogger(__name__)


class HttpServer:
    """A waitress server in a background thread; `port` is the bound port (0 picks a free one)."""

    def __init__(self, app: WsgiApp, *, host: str, port: int, threads: int, max_body: int) -> None:
        # Slack may open hundreds of connections at once: accept them all rather than queue them
        # unaccepted (waitress' default is 100), the threads then answer each as soon as they can.
        # A body over `max_body` is refused (413) by its Content-Length before it is read, and a
        # chunked one as soon as it passes the limit (waitress refuses at >=, hence the +1).
        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="pilothouse",
            connection_limit=2000,
            backlog=2048,
            max_request_body_size=max_body + 1,
        )
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name="pilothouse-http", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Close the sockets from the server's own loop thread (closing them from here races its
        # select()); the loop ends when nothing is left to watch, then the request threads stop.
        server = self._server
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        except OSError:  # the trigger is closed already: the loop has ended
            wasyncore.close_all(server._map, ignore_all=True)
        self._thread.join(timeout=5)
        server.task_dispatcher.shutdown()


class SocketMode:
    """A Socket Mode connection to Slack (no public URL needed)."""

    def __init__(self, app: App, *, app_token: str, client: WebClient) -> None:
        self._handler = SocketModeHandler(app, app_token, web_client=client)

    def connect(self) -> None:
        self._handler.connect()  # type: ignore[no-untyped-call]

    def connected(self) -> bool:
        return bool(self._handler.client.is_connected())

    def close(self) -> None:
        """Close in milliseconds rather than ~4 s: the builtin client's receiver sits in a blocking
        recv() (3 s timeout) holding the lock close() needs, and its message processor polls a
        queue once a second; shut the socket down and wake the processor first."""
        client = self._handler.client
        session = getattr(client, "current_session", None)
        sock = getattr(session, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        client.closed = True
        queue = getattr(client, "message_queue", None)
        if queue is not None:
            queue.put(None)  # skipped by the processor, which then sees `closed`
        self._handler.close()  # type: ignore[no-untyped-call]
