"""``FastHttpSession``: the ``self.client`` of a ``FastHttpUser``; HttpSession's API, built for speed.

Each user keeps its own keep-alive connection per origin (``fast_conn.Connection``), writes
each request as one bytes object (the request line, a header block prebuilt per session,
and only the headers this request adds), and reads the response with httptools. The
result is the same ``Response`` the urllib3 client returns and is recorded the same way,
once; a plain successful request goes straight to ``recorder.record`` and touches the
``request`` event only when someone listens.
"""

from __future__ import annotations

import time
import zlib
from base64 import b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from gevent import GreenletExit

from fastswarm.http.body import BodyStream, BytesStream, body_limit
from fastswarm.http.fast_conn import Connection, SessionHeaders, StreamedBody
from fastswarm.http.fast_exchange import DROPPED
from fastswarm.http.headers import NO_HEADERS, FastHeaders
from fastswarm.http.methods import CookieJar, RequestMethods, encode_body, split_timeout
from fastswarm.http.response import (
    Response,
    ResponseContextManager,
    TooManyRedirects,
    default_outcome,
    report,
    report_interrupted,
)

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_SIMPLE_CACHE = 64  # prebuilt requests kept per session (emptied when full)
_WITH_BODY = frozenset(("POST", "PUT", "PATCH"))
_SAFE_URL = "/:?&=%#@!$'()*+,;[]~"
DEFAULT_HEADERS = {"User-Agent": "fastswarm", "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}


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


def _decode(content: bytes, headers: FastHeaders) -> bytes:
    coding = headers.get("content-encoding", "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        try:
            return zlib.decompress(content, 47)  # 32 + 15: gzip or zlib header, detected
        except zlib.error:
            if coding == "deflate":
                return zlib.decompress(content, -15)  # raw deflate, as some servers send it
            raise
    return content


class FastHttpSession(RequestMethods):
    """A user's fast HTTP client: per-origin keep-alive connections, cookies, one record per request.

    ``insecure=True`` turns TLS certificate and host name verification off (it is on by
    default). Timeouts are in seconds: ``network_timeout`` bounds each whole request
    (connect, headers and body), ``connection_timeout`` the connect alone; ``timeout=`` on a
    request overrides the first (a ``(connect, read)`` pair: their sum). Bodies over the run's
    ``max_body_size`` are counted and dropped unless the request passes ``stream=True``.
    """

    def __init__(
        self,
        environment: Environment,
        base_url: str,
        user: Any = None,
        insecure: bool = False,
        network_timeout: float | None = 60.0,
        connection_timeout: float | None = 60.0,
        max_redirects: int = 30,
        default_headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http:// or https://host[:port], got {base_url!r}")
        self.environment = environment
        self.base_url = base_url
        self.user = user
        self.insecure = insecure
        self.network_timeout = network_timeout
        self.connection_timeout = connection_timeout
        self.max_redirects = max_redirects
        self.max_body = body_limit(environment)
        self.headers = SessionHeaders({**DEFAULT_HEADERS, **(default_headers or {})})
        self.cookies = CookieJar()
        self.auth: tuple[str, str] | None = None
        self.request_name: str | None = None
        self._origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        self._prefix = parts.path.rstrip("/")
        self._base = base_url.rstrip("/")
        self._conn: Connection | None = None  # to the base URL's origin: the common case
        self._others: dict[tuple[str, str, int], Connection] = {}
        # (method, path) -> (request bytes, full URL, the header block they were built with)
        self._simple: dict[tuple[str, str], tuple[bytes, str, bytes | None]] = {}

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

    def _payload(
        self,
        method: str,
        target: bytes,
        conn: Connection,
        headers: Mapping[str, str | None] | None,
        cookies: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
        body: bytes | None,
        content_type: str | None,
    ) -> bytes:
        """The whole request as one bytes object; the common GET is one concatenation."""
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

    def request(
        self,
        method: str,
        url: str,
        *,
        name: str | None = None,
        catch_response: bool = False,
        params: Any = None,
        headers: Mapping[str, str | None] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        cookies: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        context: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> Response:
        """Make a request, record it once (or when the catch_response block exits), return it.

        ``url`` is a path joined to the base URL, or an absolute URL used as is. The stats
        name is ``name``, else the path as given (with ``params``' query string).
        """
        method = method.upper()
        query = ""
        if params:
            query = params if isinstance(params, str) else urlencode(params, doseq=True)
            query = ("&" if "?" in url else "?") + query
        # The common request (a path, nothing added) reuses the bytes it was sent as last time.
        simple = not (
            params
            or headers
            or cookies
            or auth
            or data
            or files
            or json is not None
            or self.cookies
            or self.auth
        )
        hit = self._simple.get((method, url)) if simple else None
        payload: bytes | None = None
        if hit is not None and hit[2] is self.headers.block:
            payload, full, origin, target = hit[0], hit[1], self._origin, b""
            if name is None:
                name = self.request_name or url
        elif url[:1] == "/" or not url[:8].lower().startswith(("http://", "https://")):
            path = url if url[:1] == "/" else "/" + url
            origin = self._origin
            target = _target(self._prefix + path + query)
            full = self._base + path + query
            if name is None:
                name = self.request_name or url + query
        else:
            simple = False
            full = url + query
            origin, target = self._split(full)
            if name is None:
                name = self.request_name
                if name is None:
                    parts = urlsplit(full)
                    name = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
        body: Any = None
        content_type = None
        if data or json is not None or files:
            body, content_type = encode_body(data, json, files)
            if isinstance(body, str):
                body = body.encode()
        auth = auth or self.auth
        tmo = self.network_timeout if timeout is None else split_timeout(timeout)[1]
        hook = self.environment.events.request
        listening = bool(hook)
        ctx = context
        if listening:
            user = self.user
            ctx = user.context() if user is not None and hasattr(user, "context") else {}
            if context:
                ctx = {**ctx, **context}

        start_time = time.time()
        t0 = time.perf_counter()
        status, reason, head, content, length = 0, None, b"", b"", -1
        resp_headers: FastHeaders | None = None
        error: BaseException | None = None
        streamed: BodyStream | None = None
        try:
            conn = self._conn
            if conn is None or origin is not self._origin:
                conn = self._connection(origin)
            if payload is None:
                payload = self._payload(method, target, conn, headers, cookies, auth, body, content_type)
                if simple:
                    if len(self._simple) >= _SIMPLE_CACHE:
                        self._simple.clear()
                    self._simple[(method, url)] = (payload, full, self.headers.block)
            st = conn.exchange(payload, method, tmo, stream)
            hops = 0
            while True:
                status, head = st.status, st.raw
                set_cookie, encoded = st.flags()
                # The headers are parsed here only when the session must act on them.
                resp_headers = FastHeaders(head) if set_cookie else None
                if resp_headers is not None:
                    self._keep_cookies(resp_headers)
                if not (allow_redirects and status in _REDIRECTS):
                    break
                if resp_headers is None:
                    resp_headers = FastHeaders(head)
                if "location" not in resp_headers:
                    break
                if hops >= self.max_redirects:
                    raise TooManyRedirects(f"Exceeded {self.max_redirects} redirects.")
                hops += 1
                full = urljoin(full, resp_headers["location"])
                if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                    method, body, content_type = "GET", None, None
                origin, target = self._split(full)
                conn = self._connection(origin)
                st = conn.exchange(
                    self._payload(method, target, conn, headers, cookies, auth, body, content_type),
                    method,
                    tmo,
                    stream,
                )
            body_parts = st.body
            if stream:  # the task reads the body; the headers are what counted (as Locust)
                parsed = resp_headers or FastHeaders(head)
                streamed = self._stream(conn, tmo, encoded, parsed)
                length = _declared_length(parsed)
            elif body_parts is DROPPED:  # over max_body_size: counted, not kept
                length = st.size
            else:
                content = body_parts[0] if len(body_parts) == 1 else b"".join(body_parts)
                if encoded and content:
                    content = _decode(content, resp_headers or FastHeaders(head))
        except GreenletExit:  # the user was stopped mid-request: counted as such, never dropped
            report_interrupted(self.environment, method, name, full, t0, start_time, ctx)
            raise
        except Exception as exc:  # a transport failure becomes a failed request, never a crash
            error = exc
            status, reason = 0, ""
            if resp_headers is None:  # those of the last response that arrived, if any did
                resp_headers = FastHeaders(head) if head else NO_HEADERS
        elapsed = time.perf_counter() - t0

        # reason and headers None: parsed from the raw head if a task reads them.
        response = Response(
            method,
            full,
            name,
            status,
            reason,
            resp_headers,
            content,
            elapsed,
            start_time,
            error,
            ctx,
            head,
            length,
            streamed,
        )
        if catch_response:
            return ResponseContextManager(response, self.environment)
        if error is None and status < 400 and not listening:
            recorder = self.environment.recorder
            if recorder is not None:
                recorder.record(method, name, int(elapsed * 1e6), response._length, None)
        else:
            report(self.environment, response, *default_outcome(response))
        return response

    @staticmethod
    def _stream(conn: Connection, timeout: float | None, encoded: bool, headers: FastHeaders) -> BodyStream:
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
