"""One keep-alive HTTP/1.1 connection on a gevent socket, its responses parsed by httptools.

This is the inner loop of ``FastHttpUser``: send prebuilt request bytes, feed what arrives
to llhttp (through httptools) until the message is complete. It knows nothing of names,
stats or cookies; ``fast.FastHttpSession`` builds the bytes and judges the result.

Per request it allocates one body list and nothing else: the status line and headers stay
the raw bytes they arrived as (``headers.FastHeaders`` parses them if a task reads them),
scanned only for the two names that change what the session must do (Set-Cookie and
Content-Encoding). Failures are raised as exceptions whose type and text name the cause
(refused, timed out, reset, closed early, unparsable), so they group cleanly in the stats.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from functools import cache
from typing import Any

import httptools
from gevent import socket as gsocket

from fastswarm.http.deadlines import Deadlines, Expired, deadlines
from fastswarm.http.headers import parse_head
from fastswarm.http.response import ConnectTimeout, ReadTimeout

_RECV = 65536
IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))


class ServerClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


class InvalidResponse(ConnectionError):
    """What the server sent is not an HTTP/1.x response httptools can parse."""


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
    """httptools' callback target: what one response has delivered so far (reused per request).

    Only three callbacks are defined, as httptools calls only those that exist: the status line
    and the headers are not handed over one Python call each; ``raw`` keeps the bytes that
    arrived until the headers were complete, for ``headers.FastHeaders`` to parse on demand.
    """

    __slots__ = ("parser", "raw", "body", "headers_done", "keep_alive", "done", "status")

    def __init__(self) -> None:
        self.parser: Any = None  # the httptools parser feeding this object (set by Connection)
        self.raw = b""  # the response's first bytes, through its headers (b"": nothing arrived)
        self.body: list[bytes] = []
        self.headers_done = False
        self.keep_alive = False
        self.done = False
        self.status = 0

    @property
    def got(self) -> bool:
        """Whether any byte of the response arrived."""
        return bool(self.raw)

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Asked now: once the message is complete httptools answers False whatever was sent.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True

    def flags(self) -> tuple[bool, bool]:
        """(Set-Cookie, Content-Encoding) may be among the headers: the two the session acts on.

        A cheap scan of the raw bytes; a false positive (the words in a value or the body) only
        costs parsing the headers, which then find nothing.
        """
        low = self.raw.decode("latin-1").lower()  # str searches are ~3x cheaper than bytes' here
        return "set-cookie" in low, "content-encoding" in low

    def delimited(self) -> bool:
        """Whether the body's end is marked (a length or chunks) rather than the connection's close."""
        headers = parse_head(self.raw)
        return "content-length" in headers or any(
            "chunked" in v.lower() for v in headers.get("transfer-encoding", ())
        )


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
        "watch",
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
        self.watch: Deadlines = deadlines()  # the process's in-flight deadlines

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
        watch = self.watch
        if timeout is not None:
            # One watchdog checks every in-flight deadline a few times a second: cheaper than
            # gevent's socket timeouts (a new timer per blocking read) or a timer per exchange.
            self.ticket = watch.arm(self, timeout)
        st = self.state
        st.raw = b""
        st.body = []
        st.headers_done = st.keep_alive = st.done = False
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
                if not st.headers_done:
                    st.raw += data  # the first chunk itself (b"" + data is data), rarely a join
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
                watch.disarm(self)
        st.status = parser.get_status_code()
        if not st.keep_alive:
            self.close()
        return st
