"""``HttpSession``: the ``self.client`` of an ``HttpUser``, a requests-like API on urllib3.

One ``PoolManager`` per session keeps each user's connections alive and separate, as a
browser would. Redirects are followed here rather than by urllib3 so that cookies set by
each hop (a login's 302) are kept and sent on. The request path does no logging and builds
no more objects than urllib3 needs; it records each request exactly once.

Each request has a deadline for the whole of it (connect, headers, body; ``network_timeout``,
60 s by default, or ``timeout=``), kept by ``deadlines.py``'s watchdog rather than urllib3's
per-read socket timeouts, which a server trickling bytes would never trip. Bodies over the
run's ``max_body_size`` are counted and dropped; ``stream=True`` leaves the body unread.
"""

from __future__ import annotations

import time
from base64 import b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from gevent import GreenletExit, monkey

from fastswarm.http.body import body_limit, warn_discarded
from fastswarm.http.deadlines import Expired, deadlines
from fastswarm.http.methods import CookieJar, RequestMethods, encode_body, split_timeout
from fastswarm.http.response import (
    ReadTimeout,
    Response,
    ResponseContextManager,
    TooManyRedirects,
    default_outcome,
    report,
    report_interrupted,
)
from fastswarm.http.urllib3_glue import UrllibBody, transport_error

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

_REDIRECTS = frozenset((301, 302, 303, 307, 308))
MAX_REDIRECTS = 30
DEFAULT_HEADERS = {
    "User-Agent": "fastswarm",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
}
_NO_HEADERS: Mapping[str, str | None] = {}
_EMPTY: Mapping[str, str] = {}
_CHUNK = 65536  # what a body over the size limit is read in


class _InFlight:
    """One request's entry in the process's deadlines (its ``ticket`` while it is armed)."""

    __slots__ = ("ticket",)

    def __init__(self) -> None:
        self.ticket = 0


class HttpSession(RequestMethods):
    """A user's HTTP client: keep-alive connections, cookies, and one stats record per request."""

    def __init__(
        self,
        base_url: str,
        environment: Environment,
        user: Any = None,
        pool_maxsize: int = 10,
        verify: bool = True,
        network_timeout: float | None = 60.0,
        connection_timeout: float | None = 60.0,
    ) -> None:
        self.base_url = base_url
        self.network_timeout = network_timeout
        self.connection_timeout = connection_timeout
        self.max_body = body_limit(environment)
        # Reads are not timed by urllib3: the request's deadline bounds them all (see request).
        # Only gevent's sockets let the watchdog interrupt a read; in a process that did not
        # patch them (a script using the client directly) each read is timed instead.
        self._timed_reads = not monkey.is_module_patched("socket")
        read = network_timeout if self._timed_reads else None
        self._timeout = urllib3.Timeout(connect=connection_timeout, read=read)
        self._watch = deadlines()
        self._base = base_url.rstrip("/")
        self.environment = environment
        self.user = user
        self.headers: urllib3.HTTPHeaderDict = urllib3.HTTPHeaderDict(DEFAULT_HEADERS)
        self.cookies = CookieJar()
        self.auth: tuple[str, str] | None = None
        self.request_name: str | None = None
        self._pool = urllib3.PoolManager(
            num_pools=10,
            maxsize=pool_maxsize,
            block=False,
            retries=False,
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
        )
        # Requests to the base URL go straight to its connection pool: PoolManager.urlopen would
        # parse the URL and look the pool up again every time (~20% of this client's CPU).
        base = urlsplit(base_url)
        self._origin_len = len(f"{base.scheme}://{base.netloc}")
        self._base_pool: Any = None

    def close(self) -> None:
        """Close every kept-alive connection of this session."""
        self._pool.clear()
        self._base_pool = None

    def _headers(
        self,
        headers: Mapping[str, str | None] | None,
        cookies: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
        content_type: str | None,
    ) -> Mapping[str, str]:
        """The session's headers with this request's on top; a copy only when something differs."""
        if not (headers or cookies or self.cookies or auth or content_type):
            return self.headers
        merged = self.headers.copy()
        if content_type:
            merged["Content-Type"] = content_type
        for key, value in (headers or _NO_HEADERS).items():
            if value is None:
                merged.discard(key)
            else:
                merged[key] = value
        if auth:
            token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            merged["Authorization"] = f"Basic {token}"
        if (cookies or self.cookies) and "cookie" not in merged:
            jar = {**self.cookies, **cookies} if cookies else self.cookies
            merged["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        return merged

    def _keep_response_cookies(self, resp: urllib3.BaseHTTPResponse) -> None:
        if "set-cookie" in resp.headers:
            self._keep_cookies(resp.headers)

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
        name is ``name``, else the path as given (with ``params``' query string). ``timeout``
        (seconds, or a ``(connect, read)`` pair: their sum) bounds the whole request, as
        ``network_timeout`` does by default. ``stream=True`` returns at the headers (the time
        and Content-Length recorded, as Locust does) and the task reads the body, each read
        bounded by the timeout.
        """
        method = method.upper()
        absolute = url[:8].lower().startswith(("http://", "https://"))
        full = url if absolute else (self._base + url if url[:1] == "/" else f"{self._base}/{url}")
        query = ""
        if params:
            query = params if isinstance(params, str) else urlencode(params, doseq=True)
            query = f"{'&' if '?' in full else '?'}{query}"
            full += query
        if name is None:
            name = self.request_name
            if name is None:
                if absolute:
                    parts = urlsplit(full)
                    name = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
                else:
                    name = url + query
        body, content_type = None, None
        if data or json is not None or files:
            body, content_type = encode_body(data, json, files)
        auth = auth or self.auth
        if timeout is None:
            total = self.network_timeout
            tmo = self._timeout
            if stream:
                tmo = urllib3.Timeout(connect=self.connection_timeout, read=total)
        else:
            connect, total = split_timeout(timeout)
            tmo = urllib3.Timeout(connect=connect, read=total if stream or self._timed_reads else None)
        hook = self.environment.events.request
        if hook:
            ctx = self.user.context() if self.user is not None and hasattr(self.user, "context") else {}
            if context:
                ctx = {**ctx, **context}
        else:
            ctx = context

        start_time = time.time()
        t0 = time.perf_counter()
        status, reason, resp_headers, content, length = 0, "", _EMPTY, b"", -1
        error: BaseException | None = None
        streamed: UrllibBody | None = None
        inflight = None
        if total is not None:
            inflight = _InFlight()
            inflight.ticket = self._watch.arm(inflight, total)
        try:
            req_method = method
            hdrs = self._headers(headers, cookies, auth, content_type)
            if absolute:
                resp = self._pool.urlopen(
                    req_method,
                    full,
                    body=body,
                    headers=hdrs,
                    redirect=False,
                    retries=False,
                    timeout=tmo,
                    preload_content=False,
                )
            else:
                pool = self._base_pool
                if pool is None or pool.pool is None:  # first use, or closed by the PoolManager
                    pool = self._base_pool = self._pool.connection_from_url(full)
                resp = pool.urlopen(
                    req_method,
                    full[self._origin_len :] or "/",
                    body=body,
                    headers=hdrs,
                    redirect=False,
                    retries=False,
                    timeout=tmo,
                    assert_same_host=False,
                    preload_content=False,
                )
            self._keep_response_cookies(resp)
            hops = 0
            while allow_redirects and resp.status in _REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    break
                if hops >= MAX_REDIRECTS:
                    raise TooManyRedirects(f"Exceeded {MAX_REDIRECTS} redirects.")
                hops += 1
                resp.drain_conn()
                full = urljoin(full, location)
                code = resp.status
                if (code == 303 and req_method != "HEAD") or (code in (301, 302) and req_method == "POST"):
                    req_method, body, content_type = "GET", None, None
                hdrs = self._headers(headers, cookies, auth, content_type)
                resp = self._pool.urlopen(
                    req_method,
                    full,
                    body=body,
                    headers=hdrs,
                    redirect=False,
                    retries=False,
                    timeout=tmo,
                    preload_content=False,
                )
                self._keep_response_cookies(resp)
            if stream:
                streamed = UrllibBody(resp)
                length = resp.length_remaining or 0
            else:
                content, length = self._read_body(resp)
            status, reason, resp_headers = resp.status, resp.reason or "", resp.headers
        except Expired:
            error = ReadTimeout(f"no complete response within {total} s")
        except GreenletExit:  # the user was stopped mid-request: counted as such, never dropped
            report_interrupted(self.environment, method, name, full, t0, start_time, ctx)
            raise
        except TooManyRedirects as exc:
            error = exc
        except Exception as exc:  # a transport failure becomes a failed request, never a crash
            error = transport_error(exc, tmo, full)
        finally:
            if inflight is not None:
                inflight.ticket = 0
                self._watch.disarm(inflight)
        elapsed = time.perf_counter() - t0

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
            b"",
            length,
            streamed,
        )
        if catch_response:
            return ResponseContextManager(response, self.environment)
        report(self.environment, response, *default_outcome(response))
        return response

    def _read_body(self, resp: urllib3.BaseHTTPResponse) -> tuple[bytes, int]:
        """(content, -1), or (b"", bytes counted) for a body over ``max_body_size``, never held."""
        limit = self.max_body
        declared = resp.length_remaining
        if declared is not None and declared <= limit:
            return resp.read(), -1  # the common case: a Content-Length within the limit
        dropped = declared is not None
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = resp.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if not dropped:
                parts.append(chunk)
                if size > limit:
                    parts, dropped = [], True
        if dropped:
            warn_discarded(size, limit)
            return b"", size
        return b"".join(parts), -1
