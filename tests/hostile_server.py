"""A hostile HTTP server on 127.0.0.1: each mode misbehaves in one way, and it counts what it saw.

The built-in target is a well-behaved WSGI app; load generators meet worse. Each accepted
connection is served in its own thread: the server reads request heads and answers each by
its mode, counting connections and complete request heads (``seen()``), so a test can check
that the run's report holds exactly what reached the server. Modes:

- ``ok``: a plain 200 (the control).
- ``never``: reads the request and never answers, until the client gives up.
- ``reset``: a 200 declaring 1000 bytes, 10 of them, then a TCP reset.
- ``malformed``: a status line that is not HTTP (``HTTP/1.1 2OO OK``).
- ``trickle``: a valid 200, one byte every 100 ms.
- ``big``: a 100 MB body (Content-Length), sent from one 1 MiB buffer; kept alive.
- ``garbage``: random bytes (after a NUL), different each time, then close.
- ``tls``: TLS with a self-signed certificate (a verifying client refuses the handshake).

``refused_url()`` names a port nobody listens on; ``UNKNOWN_HOST`` a name that never resolves,
and ``NxDomainDNS`` answers every DNS query for it with NXDOMAIN from 127.0.0.1, so that even
the lookup stays on loopback (a run points gevent's c-ares resolver at it via ``env()``).
"""

from __future__ import annotations

import os
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

MODES = ("ok", "never", "reset", "malformed", "trickle", "big", "garbage", "tls")
BIG = 100 * 1000 * 1000
UNKNOWN_HOST = "http://nowhere.invalid"  # RFC 6761: .invalid never resolves
_CHUNK = b"x" * (1 << 20)


def refused_url() -> str:
    """An http:// URL on 127.0.0.1 whose port has no listener (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def self_signed(folder: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (openssl makes it)."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class NxDomainDNS:
    """A DNS server on 127.0.0.1 (UDP) that answers every query "no such name" and counts them."""

    def __init__(self) -> None:
        outer = self
        self.queries = 0

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                query, sock = self.request
                outer.queries += 1
                qid, flags = struct.unpack("!HH", query[:4])
                # a response (QR), the query's opcode and RD, recursion available, RCODE 3
                answer = 0x8000 | (flags & 0x7900) | 0x0080 | 3
                sock.sendto(struct.pack("!HHHHHH", qid, answer, 1, 0, 0, 0) + query[12:], self.client_address)

        self._server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        """Environment for a fastswarm process: gevent resolves names here, and only here."""
        port = str(self.port)
        return {"GEVENT_RESOLVER": "ares", "GEVENTARES_SERVERS": "127.0.0.1", "GEVENTARES_UDP_PORT": port}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HostileServer:
    """Serves one ``mode`` on 127.0.0.1 until ``close()``; ``seen()`` is (connections, requests)."""

    def __init__(self, mode: str, tls: ssl.SSLContext | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.tls = tls
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def seen(self) -> tuple[int, int]:
        with self._lock:
            return self.connections, self.requests

    def __enter__(self) -> HostileServer:
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
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffer = b""
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    _, buffer = buffer.split(b"\r\n\r\n", 1)  # GETs only: no request bodies
                    with self._lock:
                        self.requests += 1
                    if not self._answer(conn):
                        return
        except (OSError, ssl.SSLError):
            return  # the client gave up (or refused our certificate): nothing left to do
        finally:
            conn.close()

    def _answer(self, conn: socket.socket) -> bool:
        """Answer one request by the mode; False when the connection is to be dropped."""
        mode = self.mode
        if mode == "ok" or mode == "tls":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return True
        if mode == "never":
            while not self._stop.is_set():  # until the client closes (recv returns b"")
                try:
                    if not conn.recv(65536):
                        return False
                except TimeoutError:
                    continue
            return False
        if mode == "reset":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"y" * 10)
            time.sleep(0.05)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False  # closing with linger 0 sends RST
        if mode == "malformed":
            conn.sendall(b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok")
            return False
        if mode == "trickle":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"z" * 40:
                if self._stop.wait(0.1):
                    return False
                conn.sendall(bytes([byte]))
            return True
        if mode == "big":
            conn.settimeout(60)  # a busy client may pause between reads; the 100 MB must still go
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG)
            view = memoryview(_CHUNK)
            left = BIG
            while left:
                n = min(left, len(_CHUNK))
                conn.sendall(view[:n])
                left -= n
            conn.settimeout(1.0)
            return True
        if mode == "garbage":  # a NUL first, so no reply starts like "HTTP/" by chance
            noise = os.urandom(63).replace(b"\r", b"").replace(b"\n", b"")
            conn.sendall(b"\0" + noise + b"\r\n\r\n")
            return False
        raise AssertionError(mode)
