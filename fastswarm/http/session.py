"""``HttpSession``: the ``self.client`` of an ``HttpUser``, a requests-like API on urllib3.

One ``PoolManager`` per session keeps each user's connections alive and separate, as a
browser would. Redirects are followed here rather than by urllib3 so that cookies set by
each hop (a login's 302) are kept and sent on. The request path does no logging and builds
no more objects than urllib3 needs; it records each request exactly once.
"""

from __future__ import annotations

import time
from base64 import b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from fastswarm.http.methods import CookieJar, RequestMethods, encode_body
from fastswarm.http.response import (
    ConnectTimeout,
    ReadTimeout,
    Response,
    ResponseContextManager,
    TooManyRedirects,
    default_outcome,
    report,
)

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
_NO_TIMEOUT = urllib3.Timeout(connect=None, read=None)


def _timeout(value: Any) -> urllib3.Timeout:
    """requests' timeout spellings (seconds, or a (connect, read) pair) as urllib3's Timeout."""
    if value is None:
        return _NO_TIMEOUT
    if isinstance(value, urllib3.Timeout):
        return value
    if isinstance(value, tuple):
        return urllib3.Timeout(connect=value[0], read=value[1])
    return urllib3.Timeout(connect=value, read=value)


def _transport_error(exc: Exception, timeout: urllib3.Timeout) -> BaseException:
    """The exception a task sees when no response came: its type and text name the cause."""
    if isinstance(exc, ReadTimeoutError):
        return ReadTimeout(f"read timed out after {timeout.read_timeout} s")
    if isinstance(exc, NewConnectionError):  # before ConnectTimeoutError: it is a subclass
        cause = exc.__cause__
        return cause if isinstance(cause, OSError) else exc
    if isinstance(exc, ConnectTimeoutError):
        return ConnectTimeout(f"connect timed out after {timeout.connect_timeout} s")
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(exc.args[1], BaseException):
        return exc.args[1]
    return exc


class HttpSession(RequestMethods):
    """A user's HTTP client: keep-alive connections, cookies, and one stats record per request."""

    def __init__(
        self,
        base_url: str,
        environment: Environment,
        user: Any = None,
        pool_maxsize: int = 10,
        verify: bool = True,
    ) -> None:
        self.base_url = base_url
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
    ) -> Response:
        """Make a request, record it once (or when the catch_response block exits), return it.

        ``url`` is a path joined to the base URL, or an absolute URL used as is. The stats
        name is ``name``, else the path as given (with ``params``' query string).
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
        tmo = _timeout(timeout)
        hook = self.environment.events.request
        if hook:
            ctx = self.user.context() if self.user is not None and hasattr(self.user, "context") else {}
            if context:
                ctx = {**ctx, **context}
        else:
            ctx = context

        start_time = time.time()
        t0 = time.perf_counter()
        status, reason, resp_headers, content = 0, "", _EMPTY, b""
        error: BaseException | None = None
        try:
            req_method = method
            hdrs = self._headers(headers, cookies, auth, content_type)
            if absolute:
                resp = self._pool.urlopen(
                    req_method, full, body=body, headers=hdrs, redirect=False, retries=False, timeout=tmo
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
                full = urljoin(full, location)
                code = resp.status
                if (code == 303 and req_method != "HEAD") or (code in (301, 302) and req_method == "POST"):
                    req_method, body, content_type = "GET", None, None
                hdrs = self._headers(headers, cookies, auth, content_type)
                resp = self._pool.urlopen(
                    req_method, full, body=body, headers=hdrs, redirect=False, retries=False, timeout=tmo
                )
                self._keep_response_cookies(resp)
            content = resp.data
            status, reason, resp_headers = resp.status, resp.reason or "", resp.headers
        except TooManyRedirects as exc:
            error = exc
        except Exception as exc:  # a transport failure becomes a failed request, never a crash
            error = _transport_error(exc, tmo)
        elapsed = time.perf_counter() - t0

        response = Response(
            method, full, name, status, reason, resp_headers, content, elapsed, start_time, error, ctx
        )
        if catch_response:
            return ResponseContextManager(response, self.environment)
        report(self.environment, response, *default_outcome(response))
        return response
