"""``FastHttpSession``: the ``self.client`` of a ``FastHttpUser``; HttpSession's API, built for speed.

Each user keeps its own keep-alive connection per origin (``fast_conn.Connection``), writes
each request as one bytes object (the request line, a header block prebuilt per session,
and only the headers this request adds), and reads the response with httptools. It is the
httptools transport under ``frontend.BaseSession``, which names, follows redirects and
records each request (the same ``Response`` as the urllib3 client, recorded once). A plain
request to the base URL reuses the bytes it was sent as last time.
"""

from __future__ import annotations

import zlib
from base64 import b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from fastswarm.http.body import BodyStream, BytesStream
from fastswarm.http.fast_conn import Connection, SessionHeaders, StreamedBody
from fastswarm.http.fast_exchange import DROPPED, Exchange
from fastswarm.http.frontend import DEFAULT_HEADERS, NO_EXTRAS, BaseSession, Extras, Finished, Hop
from fastswarm.http.headers import FastHeaders
from fastswarm.http.methods import split_timeout

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

_SIMPLE_CACHE = 64  # prebuilt requests kept per session (emptied when full)
_WITH_BODY = frozenset(("POST", "PUT", "PATCH"))
_SAFE_URL = "/:?&=%#@!$'()*+,;[]~"


def _target(path: str) -> bytes:
    """The request-target as bytes; characters HTTP does not allow are percent-encoded."""
    try:
        return path.encode("ascii") if " " not in path else quote(path, safe=_SAFE_URL).encode()
    except UnicodeEncodeError:
        return quote(path, safe=_SAFE_URL).encode("ascii")


def _declared_length(headers: Mapping[str, str]) -> int:
    """A streamed response's Content-Length (what its record counts, as Locust does), else 0."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else 0


def _decode(content: bytes, headers: Mapping[str, str]) -> bytes:
    coding = headers.get("content-encoding", "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        try:
            return zlib.decompress(content, 47)  # 32 + 15: gzip or zlib header, detected
        except zlib.error:
            if coding == "deflate":
                return zlib.decompress(content, -15)  # raw deflate, as some servers send it
            raise
    return content


class FastHttpSession(BaseSession[Connection]):
    """A user's fast HTTP client: per-origin keep-alive connections, cookies, one record per request.

    ``insecure=True`` turns TLS certificate and host name verification off (it is on by
    default). ``network_timeout`` bounds each exchange (a redirect's each hop) rather than
    the whole request. Bodies over the run's ``max_body_size`` are counted and dropped unless
    the request passes ``stream=True``.
    """

    def __init__(
        self,
        environment: Environment,
        base_url: str,
        user: Any = None,
        *,
        network_timeout: float | None = 60.0,
        connection_timeout: float | None = 60.0,
        max_redirects: int = 30,
        default_headers: Mapping[str, str] | None = None,
        insecure: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            environment,
            base_url,
            user,
            network_timeout=network_timeout,
            connection_timeout=connection_timeout,
            max_redirects=max_redirects,
        )
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http:// or https://host[:port], got {self.base_url!r}")
        self.insecure = insecure
        self.headers = SessionHeaders({**DEFAULT_HEADERS, **(default_headers or {})})
        self._origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        self._conn: Connection | None = None  # to the base URL's origin: the common case
        self._others: dict[tuple[str, str, int], Connection] = {}
        # (method, path) -> (request bytes, the header block they were built with)
        self._simple: dict[tuple[str, str], tuple[bytes, bytes | None]] = {}

    def close(self) -> None:
        """Close every kept-alive connection of this session."""
        for conn in (self._conn, *self._others.values()):
            if conn is not None:
                conn.close()
        self._others.clear()

    def _connection(self, origin: tuple[str, str, int]) -> Connection:
        if origin == self._origin:
            conn = self._conn
            if conn is None:
                conn = self._conn = self._new_connection(origin)
            return conn
        conn = self._others.get(origin)
        if conn is None:
            conn = self._others[origin] = self._new_connection(origin)
        return conn

    def _new_connection(self, origin: tuple[str, str, int]) -> Connection:
        return Connection(
            origin[1], origin[2], origin[0] == "https", self.insecure, self.connection_timeout, self.max_body
        )

    def _payload(self, method: str, target: bytes, conn: Connection, extras: Extras) -> bytes:
        """The whole request as one bytes object; the common GET is one concatenation."""
        headers, cookies, auth, body, content_type = extras
        block = self.headers.encoded()
        if not (headers or cookies or self.cookies or auth or content_type or body is not None):
            if method in _WITH_BODY:
                return b"%s %s HTTP/1.1\r\n%s%sContent-Length: 0\r\n\r\n" % (
                    method.encode(),
                    target,
                    conn.host_line,
                    block,
                )
            return b"%s %s HTTP/1.1\r\n%s%s\r\n" % (method.encode(), target, conn.host_line, block)
        # lower-cased name -> (name as written, value); None removes a session header.
        extra: dict[str, tuple[str, str | None]] = {}
        if content_type:
            extra["content-type"] = ("Content-Type", content_type)
        if auth:
            extra["authorization"] = (
                "Authorization",
                "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode(),
            )
        if cookies or self.cookies:
            jar = {**self.cookies, **cookies} if cookies else self.cookies
            extra["cookie"] = ("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))
        for key, value in (headers or {}).items():
            extra[key.lower()] = (key, value)
        if extra and any(k.lower() in extra for k in self.headers):
            block = "".join(
                f"{k}: {v}\r\n" for k, v in self.headers.items() if k.lower() not in extra
            ).encode("latin-1")
        lines = "".join(f"{k}: {v}\r\n" for k, v in extra.values() if v is not None)
        if body is not None or method in _WITH_BODY:
            lines += f"Content-Length: {len(body) if body is not None else 0}\r\n"
        head = b"%s %s HTTP/1.1\r\n%s%s%s\r\n" % (
            method.encode(),
            target,
            conn.host_line,
            block,
            lines.encode("latin-1"),
        )
        return head + body if body else head

    def _timeouts(self, timeout: Any, stream: bool) -> tuple[float | None, None]:
        """Each exchange is bounded by its Connection (a redirect's each hop), none by the front-end."""
        return self.network_timeout if timeout is None else split_timeout(timeout)[1], None

    def _send_plain(self, method: str, url: str, full: str, timeout: Any, stream: bool) -> Hop[Connection]:
        conn = self._conn
        if conn is None:
            conn = self._connection(self._origin)
        hit = self._simple.get((method, url))
        if hit is not None and hit[1] is self.headers.block:
            payload = hit[0]
        else:
            payload = self._payload(method, _target(full[self._origin_len :]), conn, NO_EXTRAS)
            if len(self._simple) >= _SIMPLE_CACHE:
                self._simple.clear()
            self._simple[(method, url)] = (payload, self.headers.block)
        st = conn.exchange(payload, method, timeout, stream)
        set_cookie, st.encoded = st.flags()  # as _head, inline: this is the hot path
        return conn, st.status, FastHeaders(st.raw) if set_cookie else None

    def _send(
        self, method: str, full: str, relative: bool, extras: Extras, timeout: Any, stream: bool
    ) -> Hop[Connection]:
        if relative:
            origin, target = self._origin, _target(full[self._origin_len :])
        else:
            origin, target = self._split(full)
        conn = self._connection(origin)
        payload = self._payload(method, target, conn, extras)
        return self._head(conn.exchange(payload, method, timeout, stream), conn)

    @staticmethod
    def _head(st: Exchange, conn: Connection) -> Hop[Connection]:
        # The headers are parsed here only when the session must act on them.
        set_cookie, st.encoded = st.flags()
        return conn, st.status, FastHeaders(st.raw) if set_cookie else None

    def _reply_headers(self, reply: Connection) -> Mapping[str, str]:
        return FastHeaders(reply.state.raw)

    def _finish(
        self, reply: Connection, headers: Mapping[str, str] | None, stream: bool, timeout: Any
    ) -> Finished:
        st = reply.state
        head, parts, streamed, length, content = st.raw, st.body, None, -1, b""
        if stream:  # the task reads the body; the headers are what counted (as Locust)
            parsed = headers if headers is not None else FastHeaders(head)
            streamed = self._stream(reply, timeout, st.encoded, parsed)
            length = _declared_length(parsed)
        elif parts is DROPPED:  # over max_body_size: counted, not kept
            length = st.size
        else:
            content = parts[0] if len(parts) == 1 else b"".join(parts)
            if st.encoded and content:
                content = _decode(content, headers if headers is not None else FastHeaders(head))
        # reason and headers None: parsed from the raw head if a task reads them.
        return st.status, None, headers, content, length, streamed, head

    @staticmethod
    def _stream(
        conn: Connection, timeout: float | None, encoded: bool, headers: Mapping[str, str]
    ) -> BodyStream:
        """The body of a stream=True response, decoded as it is read if it is compressed.

        Usually unread (``StreamedBody``); a body that came whole with the headers is served
        from memory, so that ``raw``, ``iter_content`` and ``content`` behave the same either way.
        """
        decoder = None
        if encoded and headers.get("content-encoding", "").strip().lower() in ("gzip", "x-gzip", "deflate"):
            decoder = zlib.decompressobj(47)
        st = conn.state
        if st.done:
            data = b"".join(st.body)
            return BytesStream(decoder.decompress(data) + decoder.flush() if decoder is not None else data)
        return StreamedBody(conn, timeout, decoder)

    def _split(self, full: str) -> tuple[tuple[str, str, int], bytes]:
        """(origin, request-target) of an absolute URL."""
        parts = urlsplit(full)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {full!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        path = parts.path or "/"
        return (scheme, parts.hostname, port), _target(f"{path}?{parts.query}" if parts.query else path)
