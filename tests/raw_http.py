"""A scripted HTTP server on a real socket, for the edge cases the built-in target never produces.

Each accepted connection is served in its own OS thread: read one request (headers and any
Content-Length body), hand it to ``script(n, request)`` and write back whatever bytes it
returns; ``None`` or ``b""`` close the connection without a word, a ``CloseAfter`` reply is
sent and then the connection is closed. The server counts
connections, so tests can tell a kept-alive connection from a new one.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

Script = Callable[[int, bytes], "bytes | None"]


class CloseAfter(bytes):
    """A reply after which the server closes the connection."""


def response(
    status: str = "200 OK", body: bytes = b"ok", headers: tuple[str, ...] = (), length: bool = True
) -> bytes:
    """A plain HTTP/1.1 response with a Content-Length (unless ``length`` is False)."""
    lines = [f"HTTP/1.1 {status}", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class RawServer:
    """Serves ``script`` on 127.0.0.1 (TLS when ``ssl_context`` is given) until ``close()``."""

    def __init__(self, script: Script, ssl_context: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.ssl_context = ssl_context
        self.connections = 0
        self.requests: list[bytes] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            if self.ssl_context is not None:
                try:
                    conn = self.ssl_context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    buf += conn.recv(65536)
                request, buf = head + b"\r\n\r\n" + buf[:length], buf[length:]
                self.requests.append(request)
                reply = self.script(len(self.requests), request)
                if reply is None:
                    return
                if not reply:
                    return
                conn.sendall(reply)
                if isinstance(reply, CloseAfter):
                    return
        except OSError:
            return
        finally:
            conn.close()
