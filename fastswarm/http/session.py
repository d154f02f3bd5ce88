"""``HttpSession``: the ``self.client`` of an ``HttpUser``, a requests-like API on urllib3.

One ``PoolManager`` per session keeps each user's connections alive and separate, as a
browser would. Redirects are followed here rather than by urllib3 so that cookies set by
each hop (a login's 302) are kept and sent on. The request path does no logging and builds
no more objects than urllib3 needs; it records each request exactly once.
"""

from __future__ import annotations

import json as _json
import time
from base64 import b64encode
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.filepost import encode_multipart_formdata

from fastswarm.http.response import (
    ConnectTimeout,
    ReadTimeout,
    Response,
    ResponseContextManager,
    TooManyRedirects,
    default_outcome,
    parse_set_cookies,
    report,
)

if TYPE_CHECKING:
    from fastswarm.env import Environment

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


class CookieJar(dict[str, str]):
    """A session's cookies, name to value; the ``requests`` helpers tasks files call on it."""

    def get_dict(self) -> dict[str, str]:
        return dict(self)

    def set(self, name: str, value: str | None) -> None:
        """Set a cookie, or remove it when ``value`` is None (as requests' jar does)."""
        if value is None:
            self.pop(name, None)
        else:
            self[name] = value


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


def _encode_body(data: Any, json: Any, files: Any) -> tuple[bytes | str | None | Any, str | None]:
    """The request body and the Content-Type it implies, in requests' manner."""
    if files:
        fields: list[tuple[str, Any]] = list(data.items() if isinstance(data, Mapping) else data or [])
        for key, value in files.items() if isinstance(files, Mapping) else files:
            if isinstance(value, tuple):
                fname, fobj = value[0], value[1]
                content = fobj.read() if hasattr(fobj, "read") else fobj
                fields.append((key, (fname, content, *value[2:3])))
            else:
                content = value.read() if hasattr(value, "read") else value
                fields.append((key, (getattr(value, "name", key), content)))
        body, ctype = encode_multipart_formdata(fields)
        return body, ctype
    if json is not None:
        return _json.dumps(json).encode(), "application/json"
    if data is None:
        return None, None
    if isinstance(data, (Mapping, list)):
        return urlencode(data, doseq=True), "application/x-www-form-urlencoded"
    if isinstance(data, str):
        return data.encode(), None
    return data, None


class HttpSession:
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

    @contextmanager
    def rename_request(self, name: str) -> Iterator[None]:
        """Group the requests made inside the block under ``name`` (Locust's helper)."""
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = None

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

    def _keep_cookies(self, resp: urllib3.BaseHTTPResponse) -> None:
        if "set-cookie" in resp.headers:
            for key, value in parse_set_cookies(resp.headers).items():
                if value:
                    self.cookies[key] = value
                else:
                    self.cookies.pop(key, None)

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
            body, content_type = _encode_body(data, json, files)
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
            self._keep_cookies(resp)
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
                self._keep_cookies(resp)
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

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        """HEAD does not follow redirects unless asked, as in requests."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> Response:
        return self.request("OPTIONS", url, **kwargs)
