"""One keep-alive HTTP/1.1 connection on a gevent socket, its responses parsed by httptools.

This is the inner loop of ``FastHttpUser``: send prebuilt request bytes, feed what arrives
to llhttp (through httptools) until the message is complete. It knows nothing of names,
stats or cookies; ``fast.FastHttpSession`` builds the bytes and judges the result.

Per request it allocates one header list and one body list and nothing else; header names
are only inspected for the two that change what the session must do (Set-Cookie and
Content-Encoding). Failures are raised as exceptions whose type and text name the cause
(refused, timed out, reset, closed early, unparsable), so they group cleanly in the stats.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import httptools
from gevent import socket as gsocket

from fastswarm.http.deadlines import Expired, deadlines
from fastswarm.http.response import ConnectTimeout, ReadTimeout

_RECV = 65536
IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))


class ServerClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


class InvalidResponse(ConnectionError):
    """What the server sent is not an HTTP/1.x response httptools can parse."""


class FastHeaders(Mapping[str, str]):
    """Response headers, case-insensitive; built from the raw pairs only when first read.

    Repeated headers are joined with ", " (as requests does); ``getlist`` gives them apart,
    which the cookie parser uses for Set-Cookie.
    """

    __slots__ = ("_raw", "_map")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._map: dict[str, list[str]] | None = None

    def _lookup(self) -> dict[str, list[str]]:
        m = self._map
        if m is None:
            m = self._map = {}
            for name, value in self._raw:
                m.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        return m

    def __getitem__(self, key: str) -> str:
        return ", ".join(self._lookup()[key.lower()])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def getlist(self, key: str) -> list[str]:
        return list(self._lookup().get(key.lower(), ()))

    def __repr__(self) -> str:
        return f"FastHeaders({dict(self.items())!r})"


class SessionHeaders(dict[str, str]):
    """The session's default headers; any change marks the prebuilt header block stale."""

    __slots__ = ("block",)

    def __init__(self, initial: Mapping[str, str]) -> None:
        super().__init__(initial)
        self.block: bytes | None = None

    def __setitem__(self, key: str, value: str) -> None:
        self.block = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.block = None
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.block = None
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self.block = None
        return super().pop(*args)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.block = None
        return super().setdefault(key, default)

    def clear(self) -> None:
        self.block = None
        super().clear()

    def encoded(self) -> bytes:
        block = self.block
        if block is None:
            block = self.block = "".join(f"{k}: {v}\r\n" for k, v in self.items()).encode("latin-1")
        return block


class _Exchange:
    """httptools' callback target: what one response has delivered so far (reused per request)."""

    __slots__ = (
        "parser",
        "status",
        "reason",
        "headers",
        "body",
        "got",
        "headers_done",
        "keep_alive",
        "done",
        "cookies",
        "encoded",
    )

    def __init__(self) -> None:
        self.parser: Any = None  # the httptools parser feeding this object (set by Connection)
        self.start()

    def start(self) -> None:
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.got = False  # any byte of the response arrived
        self.headers_done = False
        self.keep_alive = False
        self.done = False
        self.cookies = False  # a Set-Cookie header arrived
        self.encoded = False  # a Content-Encoding header arrived

    def on_status(self, reason: bytes) -> None:
        self.reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        n = len(name)
        if n == 10:
            if name.lower() == b"set-cookie":
                self.cookies = True
        elif n == 16 and name.lower() == b"content-encoding":
            self.encoded = True

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Asked now: once the message is complete httptools answers False whatever was sent.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True

    def delimited(self) -> bool:
        """Whether the body's end is marked (a length or chunks) rather than the connection's close."""
        for name, value in self.headers:
            lname = name.lower()
            if lname == b"content-length" or (lname == b"transfer-encoding" and b"chunked" in value.lower()):
                return True
        return False


@cache
def ssl_context(insecure: bool) -> Any:
    """One client context per process and mode: building one (loading CA certs) costs milliseconds."""
    from gevent import ssl as gssl

    ctx = gssl.create_default_context()
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = gssl.CERT_NONE
    return ctx


class Connection:
    """A keep-alive connection to one (scheme, host, port); opened on first use, reopened as needed."""

    __slots__ = (
        "host",
        "port",
        "tls",
        "insecure",
        "connect_timeout",
        "host_line",
        "sock",
        "parser",
        "state",
        "ticket",
    )

    def __init__(
        self, host: str, port: int, tls: bool, insecure: bool, connect_timeout: float | None
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.insecure = insecure
        self.connect_timeout = connect_timeout
        default = 443 if tls else 80
        hostport = host if port == default else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            hostport = f"[{host}]" if port == default else f"[{host}]:{port}"
        self.host_line = f"Host: {hostport}\r\n".encode("idna" if not hostport.isascii() else "ascii")
        self.sock: Any = None
        self.parser: Any = None
        self.state = _Exchange()
        self.ticket = 0  # of the exchange in flight under a deadline (deadlines.py), else 0

    def close(self) -> None:
        sock, self.sock, self.parser = self.sock, None, None
        self.state.parser = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _open(self) -> None:
        try:
            sock = gsocket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError as e:
            raise ConnectTimeout(
                f"connect to {self.host}:{self.port} timed out after {self.connect_timeout} s"
            ) from e
        except ConnectionRefusedError as e:
            raise ConnectionRefusedError(e.errno, f"connection to {self.host}:{self.port} refused") from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            try:
                sock = ssl_context(self.insecure).wrap_socket(sock, server_hostname=self.host)
            except TimeoutError as e:
                sock.close()
                raise ConnectTimeout(f"TLS handshake with {self.host}:{self.port} timed out") from e
            except BaseException:
                sock.close()
                raise
        sock.settimeout(None)  # exchanges are bounded by one reusable timer instead (see _once)
        self.sock = sock
        self.parser = self.state.parser = httptools.HttpResponseParser(self.state)

    def _stale(self) -> bool:
        """Whether a kept-alive socket has been closed (or written to) by the server while idle."""
        try:
            self.sock._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False  # nothing to read: still open
        except OSError:
            pass
        return True  # end of file, an error, or bytes nobody asked for

    def exchange(self, payload: bytes, method: str, timeout: float | None) -> _Exchange:
        """Send ``payload`` and read one response; reconnect once if a reused connection was closed.

        An idempotent request is retried on a fresh connection when a reused one turns out to
        be closed before any of the response arrived; other requests first check that the
        idle connection is still open, and are never sent twice.
        """
        reused = self.sock is not None
        if reused and method not in IDEMPOTENT and self._stale():
            self.close()
            reused = False
        try:
            return self._once(payload, method, timeout)
        except (ServerClosed, ConnectionResetError, BrokenPipeError):
            if not reused or method not in IDEMPOTENT or self.state.got:
                raise
        return self._once(payload, method, timeout)

    def _once(self, payload: bytes, method: str, timeout: float | None) -> _Exchange:
        if self.sock is None:
            self._open()
        sock = self.sock
        if timeout is not None:
            # One watchdog checks every in-flight deadline a few times a second: cheaper than
            # gevent's socket timeouts (a new timer per blocking read) or a timer per exchange.
            self.ticket = deadlines().arm(self, timeout)
        st = self.state
        st.start()
        parser = self.parser
        try:
            sent = sock.send(payload)  # one call for a request of normal size; sendall's setup is dearer
            if sent < len(payload):
                sock.sendall(memoryview(payload)[sent:])
            recv = sock.recv
            while not st.done:
                data = recv(_RECV)
                if not data:
                    if st.headers_done and not st.delimited():
                        st.done = True  # the body ran to the connection's close, as it may
                        break
                    raise ServerClosed("server closed the connection before the response was complete")
                st.got = True
                parser.feed_data(data)
                if method == "HEAD" and st.headers_done:
                    # No body follows a HEAD response whatever its Content-Length says; llhttp
                    # cannot be told so through httptools, so this parser is replaced below.
                    st.done = True
                    self.parser = st.parser = httptools.HttpResponseParser(st)
        except Expired:
            self.close()
            raise ReadTimeout(f"no complete response within {timeout} s") from None
        except httptools.HttpParserError as e:
            self.close()
            raise InvalidResponse(f"invalid HTTP response from {self.host}:{self.port}: {e}") from e
        except BaseException:
            self.close()
            raise
        finally:
            if self.ticket:
                self.ticket = 0
                deadlines().disarm(self)
        st.status = parser.get_status_code()
        if not st.keep_alive:
            self.close()
        return st
