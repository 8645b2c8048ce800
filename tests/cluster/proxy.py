"""A loopback TCP forwarder to the API server that a test can cut, as a network failure would,
or stall, as an overloaded API server would.

TLS passes through untouched (the server's certificate names 127.0.0.1), so the client sees
the real API server until `cut()` closes every connection and refuses new ones, or `stall()`
holds every byte (connections stay open, nothing arrives) until `resume()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cut = False
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def rewrite(self, kubeconfig: str) -> str:
        """The kubeconfig's text with the API server's address replaced by the proxy's."""
        return kubeconfig.replace(f"127.0.0.1:{self.target_port}", f"127.0.0.1:{self.port}")

    def cut(self) -> None:
        self._flowing.set()  # stalled pumps wake, and find their sockets closed
        with self._lock:
            self._cut = True
            for s in [self._listener, *self._sockets]:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b, self._flowing), daemon=True, name="proxy-pump").start()


def _pump(source: socket.socket, sink: socket.socket, flowing: threading.Event) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            flowing.wait()
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
