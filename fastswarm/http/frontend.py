"""``BaseSession``: the one request front-end both HTTP clients share; a transport plugs in below it.

What a request means is the same whichever client sends it: the stats name, the request
context, the body, following redirects (with the cookies each hop sets), the deadline, the
``catch_response`` block and the one record. That is written here once. A transport
(``session.HttpSession`` on urllib3, ``fast.FastHttpSession`` on httptools) supplies only how
one hop travels, through the ``_send``/``_reply_headers``/``_release``/``_finish``
hooks below, and the reply object they pass around is its own.

The common request (a path, nothing added, nobody listening) stays cheap: ``_send_plain``
lets a transport reuse what it sent last time, and a success goes straight to the recorder.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

from gevent import GreenletExit

from fastswarm.http.body import BodyStream, body_limit
from fastswarm.http.deadlines import Expired, deadlines
from fastswarm.http.errors import INTERRUPTED_AT_STOP, InterruptedAtStop
from fastswarm.http.headers import NO_HEADERS
from fastswarm.http.methods import CookieJar, RequestMethods, encode_body
from fastswarm.http.response import (
    ReadTimeout,
    Response,
    ResponseContextManager,
    TooManyRedirects,
    default_outcome,
    report,
)

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

REDIRECTS = frozenset((301, 302, 303, 307, 308))
DEFAULT_HEADERS: Mapping[str, str] = {
    "User-Agent": "fastswarm",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
}
"""Sent with every request of either client, under the session's ``default_headers``."""
_SCHEMES = ("http://", "https://")

Reply = TypeVar("Reply")
"""A transport's own reply object (urllib3's response, the fast client's connection)."""
Hop = tuple[Reply, int, "Mapping[str, str] | None"]
"""What one hop's head gave: the transport's reply, the status, and the headers when they may
set a cookie (None: not parsed, for speed; ``_reply_headers`` parses them if needed)."""
Finished = tuple[int, "str | None", "Mapping[str, str] | None", bytes, int, "BodyStream | None", bytes]
"""A transport's last hop: status, reason, headers, content, counted length (-1: len(content)),
streamed body, raw head (reason and headers None: parsed from the raw head when read)."""


class Extras(NamedTuple):
    """What one request adds to its session's own headers and cookies: sent on every hop."""

    headers: Mapping[str, str | None] | None  # a None value removes a session header
    cookies: Mapping[str, str] | None
    auth: tuple[str, str] | None
    body: bytes | Any  # bytes, or what the task passed as data that is neither str nor a form
    content_type: str | None


NO_EXTRAS = Extras(None, None, None, None, None)


class _InFlight:
    """One request's entry in the process's deadlines (its ``ticket`` while it is armed)."""

    __slots__ = ("ticket",)

    def __init__(self) -> None:
        self.ticket = 0


def url_name(url: str) -> str:
    """The stats name of an absolute URL: its path and query, without scheme and host."""
    parts = urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"


def report_interrupted(
    environment: Environment,
    method: str,
    name: str,
    url: str,
    started: float,
    start_time: float,
    context: dict[str, Any] | None,
) -> None:
    """Record a request whose user was stopped while it was in flight, as a failure.

    The caller re-raises the ``GreenletExit`` that stopped it: the request is counted (with
    the time it had taken so far), never dropped, and the user still stops at once.
    """
    exc = InterruptedAtStop(INTERRUPTED_AT_STOP)
    response = Response(
        method, url, name, 0, "", {}, b"", time.perf_counter() - started, start_time, exc, context
    )
    report(environment, response, exc, INTERRUPTED_AT_STOP)


class BaseSession(RequestMethods, Generic[Reply]):
    """A user's HTTP client: names, context, body, redirects, deadline, one record per request.

    Built as ``(environment, base_url, user=None, ...)``; the keyword names are the same for
    both clients. HttpSession's first order, ``(base_url, environment)``, is still taken.
    Timeouts are in seconds: ``network_timeout`` bounds each whole request, ``connection_timeout``
    the connect alone; ``timeout=`` on a request overrides both (a ``(connect, read)`` pair: the
    connect and their sum).
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
    ) -> None:
        if isinstance(environment, str):  # HttpSession(base_url, environment), its first order
            environment, base_url = base_url, environment  # type: ignore[assignment]
        if isinstance(environment, str) or not isinstance(base_url, str):
            raise TypeError(
                f"{type(self).__name__}(environment, base_url, ...): "
                f"got {type(environment).__name__} and {type(base_url).__name__}"
            )
        self.environment = environment
        self.base_url = base_url
        self.user = user
        self._network_timeout = network_timeout
        self.connection_timeout = connection_timeout  # sets _defaults: network_timeout is set first
        self.max_redirects = max_redirects
        self.max_body = body_limit(environment)
        self.cookies = CookieJar()
        self.auth: tuple[str, str] | None = None
        self.request_name: str | None = None
        self._base = base_url.rstrip("/")
        base = urlsplit(base_url)
        self._origin_len = len(f"{base.scheme}://{base.netloc}")  # full[_origin_len:]: the target
        self._watch = deadlines()

    @property
    def network_timeout(self) -> float | None:
        """Seconds one whole request may take unless it passes ``timeout=`` (None: no limit)."""
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._network_timeout = value
        self._defaults = self._timeouts(None, False)

    @property
    def connection_timeout(self) -> float | None:
        """Seconds to wait for a connection (and TLS handshake) unless ``timeout=`` says otherwise."""
        return self._connection_timeout

    @connection_timeout.setter
    def connection_timeout(self, value: float | None) -> None:
        self._connection_timeout = value
        self._defaults = self._timeouts(None, False)

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
        query = ""
        if params:
            query = params if isinstance(params, str) else urlencode(params, doseq=True)
            query = ("&" if "?" in url else "?") + query
        if url[:1] == "/":
            relative, full = True, self._base + url + query
        else:
            relative = not url[:8].lower().startswith(_SCHEMES)
            full = f"{self._base}/{url}{query}" if relative else url + query
        if name is None:
            name = self.request_name or (url + query if relative else url_name(full))
        body: Any = None
        content_type = None
        if data or json is not None or files:
            body, content_type = encode_body(data, json, files)
            if isinstance(body, str):
                body = body.encode()
        auth = auth or self.auth
        plain = relative and not (query or headers or cookies or auth or body is not None or self.cookies)
        extras = NO_EXTRAS if plain else Extras(headers, cookies, auth, body, content_type)
        if timeout is None and not stream:
            tmo, deadline = self._defaults
        else:
            tmo, deadline = self._timeouts(timeout, stream)
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
        status, content, length, head = 0, b"", -1, b""
        reason: str | None = ""
        resp_headers: Mapping[str, str] | None = None
        streamed: BodyStream | None = None
        error: BaseException | None = None
        reply: Reply | None = None  # the last hop's reply, once one arrived
        inflight = None
        if deadline is not None:
            inflight = _InFlight()
            inflight.ticket = self._watch.arm(inflight, deadline)
        try:
            if plain:
                reply, status, resp_headers = self._send_plain(method, url, full, tmo, stream)
            else:
                reply, status, resp_headers = self._send(method, full, relative, extras, tmo, stream)
            if resp_headers is not None:  # Set-Cookie may be among them
                self._keep_cookies(resp_headers)
            if allow_redirects and status in REDIRECTS:
                hop_method, hops = method, 0
                while True:
                    if resp_headers is None:
                        resp_headers = self._reply_headers(reply)
                    location = resp_headers.get("location")
                    if not location:
                        break
                    if hops >= self.max_redirects:
                        raise TooManyRedirects(f"Exceeded {self.max_redirects} redirects.")
                    hops += 1
                    self._release(reply)
                    full = urljoin(full, location)
                    if (status == 303 and hop_method != "HEAD") or (
                        status in (301, 302) and hop_method == "POST"
                    ):
                        hop_method, extras = "GET", extras._replace(body=None, content_type=None)
                    reply, status, resp_headers = self._send(hop_method, full, False, extras, tmo, stream)
                    if resp_headers is not None:
                        self._keep_cookies(resp_headers)
                    if status not in REDIRECTS:
                        break
            status, reason, resp_headers, content, length, streamed, head = self._finish(
                reply, resp_headers, stream, tmo
            )
        except Expired:
            error = ReadTimeout(f"no complete response within {deadline} s")
        except GreenletExit:  # the user was stopped mid-request: counted as such, never dropped
            report_interrupted(self.environment, method, name, full, t0, start_time, ctx)
            raise
        except TooManyRedirects as exc:
            error = exc
        except Exception as exc:  # a transport failure becomes a failed request, never a crash
            error = self._failure(exc, tmo, full)
        finally:
            if inflight is not None:
                inflight.ticket = 0
                self._watch.disarm(inflight)
        elapsed = time.perf_counter() - t0
        if error is not None:
            status, reason = 0, ""
            if resp_headers is None:  # those of the last response that arrived, if any did
                resp_headers = self._reply_headers(reply) if reply is not None else NO_HEADERS

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

    # -- the transport's hooks --

    def _timeouts(self, timeout: Any, stream: bool) -> tuple[Any, float | None]:
        """(the transport's timeout value, the seconds the front-end bounds the whole request by)
        for a request's ``timeout=`` (None: the session's own) and ``stream``.

        A transport that bounds each exchange itself gives None as the second: no deadline here.
        """
        raise NotImplementedError

    def _send_plain(self, method: str, url: str, full: str, timeout: Any, stream: bool) -> Hop[Reply]:
        """Send a request to a path of the base URL with nothing added (a transport may cache it)."""
        return self._send(method, full, True, NO_EXTRAS, timeout, stream)

    def _send(
        self, method: str, full: str, relative: bool, extras: Extras, timeout: Any, stream: bool
    ) -> Hop[Reply]:
        """Send one hop to ``full`` (``relative``: on the base URL's origin) and read its head."""
        raise NotImplementedError

    def _reply_headers(self, reply: Reply) -> Mapping[str, str]:
        """The reply's headers (for a redirect's Location, or a failed request's last response)."""
        raise NotImplementedError

    def _release(self, reply: Reply) -> None:
        """Let go of a redirect's reply before the next hop."""

    def _finish(
        self, reply: Reply, headers: Mapping[str, str] | None, stream: bool, timeout: Any
    ) -> Finished:
        """Read the last hop's body (or leave it to the task with ``stream``): what ``Response`` holds."""
        raise NotImplementedError

    def _failure(self, exc: Exception, timeout: Any, url: str) -> BaseException:
        """The error a task sees for what the transport raised."""
        return exc
