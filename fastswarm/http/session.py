"""``HttpSession``: the ``self.client`` of an ``HttpUser``, a requests-like API on urllib3.

One ``PoolManager`` per session keeps each user's connections alive and separate, as a
browser would. This is the urllib3 transport under ``frontend.BaseSession``, which names,
follows redirects (urllib3's own are off, so that cookies set by each hop are kept and sent
on) and records each request exactly once. The request path does no logging and builds no
more objects than urllib3 needs.

Each request has a deadline for the whole of it (connect, headers, body; ``network_timeout``,
60 s by default, or ``timeout=``), kept by ``deadlines.py``'s watchdog rather than urllib3's
per-read socket timeouts, which a server trickling bytes would never trip. Bodies over the
run's ``max_body_size`` are counted and dropped; ``stream=True`` leaves the body unread.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import urllib3
from gevent import monkey

from fastswarm.http.body import warn_discarded
from fastswarm.http.frontend import DEFAULT_HEADERS, BaseSession, Extras, Finished, Hop
from fastswarm.http.methods import split_timeout
from fastswarm.http.urllib3_glue import UrllibBody, transport_error

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

_NO_HEADERS: Mapping[str, str | None] = {}
_CHUNK = 65536  # what a body over the size limit is read in


class HttpSession(BaseSession[urllib3.BaseHTTPResponse]):
    """A user's HTTP client: keep-alive connections, cookies, and one stats record per request.

    ``verify=False`` turns TLS certificate checks off; ``pool_maxsize`` is the connections
    kept per host.
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
        pool_maxsize: int = 10,
        verify: bool = True,
    ) -> None:
        # Reads are not timed by urllib3: the request's deadline bounds them all (see request).
        # Only gevent's sockets let the watchdog interrupt a read; in a process that did not
        # patch them (a script using the client directly) each read is timed instead.
        self._timed_reads = not monkey.is_module_patched("socket")
        super().__init__(
            environment,
            base_url,
            user,
            network_timeout=network_timeout,
            connection_timeout=connection_timeout,
            max_redirects=max_redirects,
        )
        self.headers: urllib3.HTTPHeaderDict = urllib3.HTTPHeaderDict(
            {**DEFAULT_HEADERS, **(default_headers or {})}
        )
        self._pool = urllib3.PoolManager(
            num_pools=10,
            maxsize=pool_maxsize,
            block=False,
            retries=False,
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
        )
        # Requests to the base URL go straight to its connection pool: PoolManager.urlopen would
        # parse the URL and look the pool up again every time (~20% of this client's CPU).
        self._base_pool: Any = None

    def close(self) -> None:
        """Close every kept-alive connection of this session."""
        self._pool.clear()
        self._base_pool = None

    def _timeouts(self, timeout: Any, stream: bool) -> tuple[urllib3.Timeout, float | None]:
        if timeout is None:
            total = self.network_timeout
            read = total if stream or self._timed_reads else None
            return urllib3.Timeout(connect=self.connection_timeout, read=read), total
        connect, total = split_timeout(timeout)
        return urllib3.Timeout(connect=connect, read=total if stream or self._timed_reads else None), total

    def _request_headers(self, extras: Extras) -> Mapping[str, str]:
        """The session's headers with this request's on top; a copy only when something differs."""
        headers, cookies, auth, _, content_type = extras
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

    def _send(
        self, method: str, full: str, relative: bool, extras: Extras, timeout: Any, stream: bool
    ) -> Hop[urllib3.BaseHTTPResponse]:
        if relative:
            pool = self._base_pool
            if pool is None or pool.pool is None:  # first use, or closed by the PoolManager
                pool = self._base_pool = self._pool.connection_from_url(full)
            target = full[self._origin_len :] or "/"
        else:
            pool, target = self._pool, full
        resp = pool.urlopen(
            method,
            target,
            body=extras.body,
            headers=self._request_headers(extras),
            redirect=False,
            retries=False,
            timeout=timeout,
            assert_same_host=False,
            preload_content=False,
        )
        got = resp.headers
        return resp, resp.status, got if "set-cookie" in got else None

    def _reply_headers(self, reply: urllib3.BaseHTTPResponse) -> Mapping[str, str]:
        return reply.headers

    def _release(self, reply: urllib3.BaseHTTPResponse) -> None:
        reply.drain_conn()

    def _finish(
        self, reply: urllib3.BaseHTTPResponse, headers: Mapping[str, str] | None, stream: bool, timeout: Any
    ) -> Finished:
        if stream:
            streamed: UrllibBody | None = UrllibBody(reply)
            content, length = b"", reply.length_remaining or 0
        else:
            streamed = None
            content, length = self._read_body(reply)
        return reply.status, reply.reason or "", reply.headers, content, length, streamed, b""

    def _failure(self, exc: Exception, timeout: Any, url: str) -> BaseException:
        return transport_error(exc, timeout, url)

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
