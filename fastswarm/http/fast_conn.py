"""One keep-alive HTTP/1.1 connection on a gevent socket, its responses parsed by httptools.

This is the inner loop of ``FastHttpUser``: send prebuilt request bytes, feed what arrives
to llhttp (through httptools) until the message is complete. It knows nothing of names,
stats or cookies; ``fast.FastHttpSession`` builds the bytes and judges the result.

Per request it allocates one body list and nothing else: the status line and headers stay
the raw bytes they arrived as (``headers.FastHeaders`` parses them if a task reads them),
scanned only for the two names that change what the session must do (Set-Cookie and
Content-Encoding). Failures are raised as exceptions whose type and text name the cause
(refused, timed out, reset, closed early, unparsable, unknown host), so they group cleanly
in the stats.

Bodies: past ``max_body`` bytes a body is still read to its end and counted (``size``) but
no longer kept; with ``stream=True`` an exchange ends at the headers and ``StreamedBody``
reads the rest as the task asks for it, one ``recv`` at a time.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from functools import cache
from typing import Any

import httptools
from gevent import socket as gsocket

from fastswarm.http.body import DEFAULT_MAX_BODY_SIZE
from fastswarm.http.deadlines import Deadlines, Expired, deadlines
from fastswarm.http.errors import ConnectTimeout, HostNotFound, ReadTimeout
from fastswarm.http.errors import InvalidResponse as InvalidResponse
from fastswarm.http.errors import ServerClosed as ServerClosed
from fastswarm.http.fast_exchange import CHECK_AT, UNLIMITED, Exchange

_RECV = 65536
IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))
UNREAD = object()
"""``Connection.streaming`` while a streamed body has no reader yet."""


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
        "limit",
        "streaming",
    )

    def __init__(
        self,
        host: str,
        port: int,
        tls: bool,
        insecure: bool,
        connect_timeout: float | None,
        max_body: int = DEFAULT_MAX_BODY_SIZE,
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
        self.limit = max_body
        self.state = Exchange(max_body)
        self.ticket = 0  # of the exchange in flight under a deadline (deadlines.py), else 0
        self.watch: Deadlines = deadlines()  # the process's in-flight deadlines
        # A stream=True body not yet read to its end (its StreamedBody, or UNREAD before one
        # exists, as for a redirect's body): the socket cannot carry another request till then.
        self.streaming: object | None = None

    def close(self) -> None:
        sock, self.sock, self.parser = self.sock, None, None
        self.state.parser = None
        self.streaming = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _open(self) -> None:
        try:
            sock = gsocket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except socket.gaierror as e:
            raise HostNotFound(f"could not resolve host {self.host!r}: {e.strerror}") from e
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

    def exchange(self, payload: bytes, method: str, timeout: float | None, stream: bool = False) -> Exchange:
        """Send ``payload`` and read one response; reconnect once if a reused connection was closed.

        An idempotent request is retried on a fresh connection when a reused one turns out to
        be closed before any of the response arrived; other requests first check that the
        idle connection is still open, and are never sent twice.
        """
        if self.streaming is not None:  # a streamed body left unread: this socket is not reusable
            self.close()
        reused = self.sock is not None
        if reused and method not in IDEMPOTENT and self._stale():
            self.close()
            reused = False
        try:
            return self._once(payload, method, timeout, stream)
        except (ServerClosed, ConnectionResetError, BrokenPipeError):
            if not reused or method not in IDEMPOTENT or self.state.got:
                raise
        return self._once(payload, method, timeout, stream)

    def _once(self, payload: bytes, method: str, timeout: float | None, stream: bool) -> Exchange:
        watch = self.watch
        if timeout is not None:
            # One watchdog checks every in-flight deadline a few times a second: cheaper than
            # gevent's socket timeouts (a new timer per blocking read) or a timer per exchange.
            # Armed before connecting: the deadline covers connect, headers and the whole body.
            self.ticket = watch.arm(self, timeout)
        st = self.state
        st.raw = b""
        st.body = []
        st.size = 0
        st.headers_done = st.keep_alive = st.done = False
        if stream:
            st.keep_up_to = st.limit = UNLIMITED  # the task reads it: StreamedBody passes it on
        elif st.limit != self.limit:  # the exchange after a streamed one
            st.limit = self.limit
            st.keep_up_to = min(self.limit, CHECK_AT)
        try:
            if self.sock is None:
                self._open()
            sock = self.sock
            parser = self.parser
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
                elif stream and st.headers_done:
                    break  # the body is the task's to read (StreamedBody)
        except Expired:
            if self.sock is None:  # still connecting (or in the TLS handshake)
                where = f"{self.host}:{self.port}"
                raise ConnectTimeout(f"connect to {where} timed out after {timeout} s") from None
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
        if not st.done:  # stream=True: the connection is busy until the body is read
            self.streaming = UNREAD
            return st
        if not st.keep_alive:
            self.close()
        return st

    def pull(self, timeout: float | None) -> None:
        """Read once more into the current (streamed) exchange; ``timeout`` bounds this read."""
        st, sock, watch = self.state, self.sock, self.watch
        if timeout is not None:
            self.ticket = watch.arm(self, timeout)
        try:
            data = sock.recv(_RECV)
            if not data:
                if not st.delimited():
                    st.done = True  # the body ran to the connection's close
                    return
                raise ServerClosed("server closed the connection before the response was complete")
            self.parser.feed_data(data)
        except Expired:
            self.close()
            raise ReadTimeout(f"no more of the body within {timeout} s") from None
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


class StreamedBody:
    """The unread body of a ``stream=True`` response, read from its connection on demand.

    It holds at most one ``recv`` (64 KiB) at a time. Reading it to the end frees the
    connection for the user's next request; a request made before that closes the connection
    instead (the rest of the body is never read), and this body then fails to read further.
    """

    __slots__ = ("conn", "timeout", "decoder")

    def __init__(self, conn: Connection, timeout: float | None, decoder: Any = None) -> None:
        self.conn = conn
        self.timeout = timeout
        self.decoder = decoder  # a zlib decompressobj for gzip/deflate bodies, else None
        conn.streaming = self

    def read_chunk(self) -> bytes:
        conn = self.conn
        st = conn.state
        while True:
            if conn.streaming is not self:
                raise ServerClosed("the streamed body was abandoned: its connection was reused or closed")
            if st.body:
                data = st.body[0] if len(st.body) == 1 else b"".join(st.body)
                st.body = []
                if self.decoder is not None:
                    data = self.decoder.decompress(data)
                    if not data:
                        continue
                return data
            if st.done:
                conn.streaming = None
                if not st.keep_alive:
                    conn.close()
                return self.decoder.flush() if self.decoder is not None else b""
            conn.pull(self.timeout)

    def close(self) -> None:
        conn = self.conn
        if conn.streaming is self:
            conn.close()  # the rest of the body is never read: the socket cannot be reused
