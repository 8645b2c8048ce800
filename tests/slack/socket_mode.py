"""`FakeSocketModeServer`: enough of Slack's Socket Mode for slack_sdk's builtin `SocketModeClient`.

The client gets this server's URL from ``apps.connections.open`` (so give it to
``FakeSlackWebAPI(socket_mode_url=...)``), connects, receives ``hello``, then envelopes; it answers each with
an ack ``{"envelope_id": ..., "payload": optional}``, which is recorded. The client pings every
``ping_interval`` seconds with ``"{session_id}:{time}"`` and treats the connection as stale unless the same
payload comes back in a pong; aiohttp's autoping does exactly that.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import WSCloseCode, WSMsgType, web

from . import workspace

EnvelopeType = Literal["slash_commands", "events_api", "interactive"]
RESPONSE_PAYLOAD_TYPES = frozenset({"slash_commands", "interactive"})  # Slack lets these ack with a payload
CLOSE_TIMEOUT = 1.0  # the builtin client drops the socket without answering a close frame


@dataclass(frozen=True)
class _Client:
    ws: web.WebSocketResponse
    request: web.Request


@dataclass(frozen=True)
class _Ack:
    message: dict[str, Any]
    at: float  # time.monotonic()


class FakeSocketModeServer:
    """A websocket server on 127.0.0.1 with its own event loop thread; a context manager."""

    def __init__(self, *, app_id: str = workspace.APP_ID) -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._connections: list[_Client] = []
        self._retiring: list[_Client] = []  # told to reconnect: dropped once a new connection is open
        self._acks: list[_Ack] = []
        self._sent: dict[str, float] = {}  # envelope_id -> when it was sent
        self._turn = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-socket-mode", daemon=True)
        self._thread.start()
        self._run(self._start_site())
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        try:
            self._run(self._stop_site(), timeout=CLOSE_TIMEOUT + 5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """A ``ws://`` URL shaped like Slack's; the builtin client needs a path (it sends ``GET {path}?{query}``)."""
        if not self._port:
            raise RuntimeError("FakeSocketModeServer is not running")
        return f"ws://127.0.0.1:{self._port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"

    # -- driving the client ------------------------------------------------------------------------------------

    def wait_for_connection(self, timeout: float = 5, count: int = 1) -> None:
        """Block until `count` clients are connected (and not told to reconnect)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._live()) >= count, timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout}s")

    def connection_count(self) -> int:
        """Open websocket connections, including any told to reconnect but not yet dropped."""
        with self._cond:
            return len(self._connections)

    def send(
        self,
        envelope_type: EnvelopeType,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        timeout: float = 5,
    ) -> str:
        """Push one envelope to one connected client (as Slack does, round robin); return its envelope_id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": (
                envelope_type in RESPONSE_PAYLOAD_TYPES
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if envelope_type == "events_api" or retry_attempt or retry_reason:  # Slack sends these on events only
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self.wait_for_connection(timeout)
        with self._cond:
            live = self._live()
            client = live[next(self._turn) % len(live)]
            self._sent[envelope_id] = time.monotonic()
        self._run(client.ws.send_str(json.dumps(envelope)), timeout=timeout)
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, as Slack does every few hours.

        Like Slack, the old connections are dropped once a new one is open: the builtin client only closes
        the old socket after a blocking ``recv()`` times out (3 s), and processes no envelope meanwhile.
        """
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})
        with self._cond:
            connections = list(self._connections)
            self._retiring.extend(connections)
        for client in connections:
            self._run(client.ws.send_str(message))

    def acks(self) -> list[dict[str, Any]]:
        with self._cond:
            return [ack.message for ack in self._acks]

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: self._find_ack(envelope_id) is not None, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s")
            ack = self._find_ack(envelope_id)
            assert ack is not None
            return ack.message

    def ack_delay(self, envelope_id: str) -> float:
        """Seconds between sending an envelope and its ack (Slack wants it within 3)."""
        self.wait_for_ack(envelope_id)
        with self._cond:
            ack = self._find_ack(envelope_id)
            assert ack is not None
            return ack.at - self._sent[envelope_id]

    def reset(self) -> None:
        with self._cond:
            self._acks.clear()
            self._sent.clear()

    # -- internals ---------------------------------------------------------------------------------------------

    def _live(self) -> list[_Client]:
        return [client for client in self._connections if client not in self._retiring]

    def _find_ack(self, envelope_id: str) -> _Ack | None:
        return next((ack for ack in self._acks if ack.message.get("envelope_id") == envelope_id), None)

    def _run(self, coroutine: Any, timeout: float = 5) -> Any:
        if self._loop is None:
            raise RuntimeError("FakeSocketModeServer is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _start_site(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def _stop_site(self) -> None:
        with self._cond:
            connections = list(self._connections)
        for client in connections:
            await client.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner, self._port = None, 0

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, compress=False, timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        await ws.send_str(json.dumps(self._hello(self.connection_count() + 1)))
        client = _Client(ws, request)
        with self._cond:  # listed only after hello: from now on the client may receive envelopes
            self._connections.append(client)
            retiring = list(self._retiring)
            self._cond.notify_all()
        for old in retiring:  # they stay listed as retiring until their own handler below ends
            if old.request.transport is not None:
                old.request.transport.close()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
        finally:
            with self._cond:
                self._connections.remove(client)
                if client in self._retiring:
                    self._retiring.remove(client)
                self._cond.notify_all()
        return ws

    def _hello(self, count: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if isinstance(message, dict) and "envelope_id" in message:
            with self._cond:
                self._acks.append(_Ack(message, time.monotonic()))
                self._cond.notify_all()
