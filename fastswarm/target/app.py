"""The built-in target: a small gevent WSGI app to point load at in demos, tests and benches.

It answers from memory with no access log, so that on one machine the load generator, not
the target, is what runs out of CPU. Routes:

- ``GET /`` ``ok``; ``/bytes/N`` N bytes (up to 1 GiB, sent from one 1 MiB buffer, so a
  100 MB body costs the target no 100 MB); ``/delay/MS`` answers after MS ms;
  ``/status/CODE`` that status; ``/redirect/N`` N redirects ending at ``/``.
- ``POST /echo`` the JSON body back (400 if it is not JSON); ``/anything[/...]`` any method,
  describes the request it got (method, path, args, headers, data, json).
- ``/set-cookie?name=value[&next=/path]`` sets cookies (and redirects to ``next``);
  ``/delete-cookie?name`` expires them; ``/cookies`` the cookies received, as JSON.
- ``POST /jobs`` creates ``{id, status: "PENDING"}``; ``GET /jobs/ID`` is PENDING until
  ``delay_ms`` (query or JSON body, default 500) has passed, then ACTIVE.
- ``GET /__stats`` ``{"requests": N}`` served so far, not counting ``/__stats`` and
  ``/__reset``; ``POST /__reset`` zeroes it.

With ``stall_every > 0`` the target stops answering for ``stall_for`` seconds every
``stall_every`` seconds, as a process in a stop-the-world GC pause would: requests that
arrive during a stall wait until it ends. That is what coordinated-omission correction is
tested against.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

import gevent
from gevent.pywsgi import WSGIServer

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_OK = b"ok"
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"
MAX_BYTES = 1024 * 1024 * 1024
_PIECE = b"x" * (1024 * 1024)
MAX_DELAY_SAMPLES = 1_000_000
MAX_JOBS = 100_000
DEFAULT_JOB_DELAY_MS = 500.0


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase.upper()}"
    except ValueError:
        return f"{code} UNKNOWN"


_STATUS = {code: _status_line(code) for code in range(100, 600)}


class TargetApp:
    """The WSGI callable; its state (request count, jobs) lives in this one object."""

    def __init__(self, stall_every: float = 0.0, stall_for: float = 0.0) -> None:
        if stall_every < 0 or stall_for < 0 or (stall_every and stall_for >= stall_every):
            raise ValueError("need 0 <= stall_for < stall_every, or stall_every = 0 for no stalls")
        self.stall_every = stall_every
        self.stall_for = stall_for
        self.requests = 0
        # How long /delay/MS really slept (µs): the timer overshoots, and accuracy checks
        # compare a client's latency with what the server actually did.
        self.delays_us: list[int] = []
        self._epoch = time.monotonic()
        self._jobs: dict[int, tuple[float, float]] = {}  # id -> (created, ready at), monotonic s
        self._next_job = 1

    def stall_remaining(self, now: float) -> float:
        """Seconds left of the stall in progress at ``now``; stalls start at each k*stall_every."""
        if not self.stall_every:
            return 0.0
        since = now - self._epoch
        phase = since % self.stall_every
        if since >= self.stall_every and phase < self.stall_for:
            return self.stall_for - phase
        return 0.0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.stall_every:
            wait = self.stall_remaining(time.monotonic())
            if wait > 0:
                gevent.sleep(wait)
        path: str = environ.get("PATH_INFO") or "/"
        method: str = environ["REQUEST_METHOD"]
        if path.startswith("/__"):
            body = self._control(path, method, start_response)
        else:
            self.requests += 1
            if path == "/":
                body = _reply(start_response, 200, _OK)
            else:
                head, _, rest = path[1:].partition("/")
                route = _ROUTES.get(head)
                if route is None:
                    body = _reply(start_response, 404, b"not found")
                else:
                    body = route(self, environ, method, rest, start_response)
        # pywsgi would send the body of a HEAD; a client then reads it as the next response.
        return body if method != "HEAD" else []

    # -- control endpoints (not counted) --

    def _control(self, path: str, method: str, start_response: StartResponse) -> Iterable[bytes]:
        if path == "/__stats" and method in ("GET", "HEAD"):
            delays = sorted(self.delays_us)
            p50 = delays[(len(delays) - 1) // 2] / 1000.0 if delays else None
            stats = {"requests": self.requests, "delay_count": len(delays), "delay_actual_p50_ms": p50}
            return _json_reply(start_response, 200, stats)
        if path == "/__reset" and method == "POST":
            self.requests = 0
            self.delays_us.clear()
            return _json_reply(start_response, 200, {"requests": 0})
        return _reply(start_response, 404, b"not found")

    # -- routes --

    def _bytes(self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse) -> Iterable[bytes]:
        n = _int(rest)
        if n is None or not 0 <= n <= MAX_BYTES:
            return _reply(sr, 404, b"not found")
        if n <= len(_PIECE):
            return _reply(sr, 200, _PIECE[:n], "application/octet-stream")
        sr(_STATUS[200], [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
        return _pieces(n)

    def _delay(self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse) -> Iterable[bytes]:
        ms = _float(rest)
        if ms is None or ms < 0:
            return _reply(sr, 404, b"not found")
        started = time.perf_counter()
        gevent.sleep(ms / 1000.0)
        if len(self.delays_us) < MAX_DELAY_SAMPLES:
            self.delays_us.append(int((time.perf_counter() - started) * 1_000_000))
        return _reply(sr, 200, _OK)

    def _status(self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse) -> Iterable[bytes]:
        code = _int(rest)
        if code is None or not 100 <= code < 600:
            return _reply(sr, 404, b"not found")
        body = b"" if code in (204, 304) or code < 200 else _STATUS[code].encode()
        return _reply(sr, code, body)

    def _redirect(
        self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse
    ) -> Iterable[bytes]:
        n = _int(rest)
        if n is None or n < 0:
            return _reply(sr, 404, b"not found")
        if n == 0:
            return _reply(sr, 200, _OK)
        location = f"/redirect/{n - 1}" if n > 1 else "/"
        return _reply(sr, 302, b"", extra=[("Location", location)])

    def _echo(self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse) -> Iterable[bytes]:
        if rest or method != "POST":
            return _reply(sr, 405 if not rest else 404, b"")
        body = _read_body(environ)
        try:
            json.loads(body)
        except ValueError:
            return _reply(sr, 400, b"body is not JSON")
        return _reply(sr, 200, body, _JSON)

    def _anything(
        self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse
    ) -> Iterable[bytes]:
        body = _read_body(environ)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").title()] = environ[key]
        return _json_reply(
            sr,
            200,
            {
                "method": method,
                "path": environ.get("PATH_INFO"),
                "args": dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
                "headers": headers,
                "data": body.decode("utf-8", errors="replace"),
                "json": parsed,
            },
        )

    def _set_cookie(
        self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse
    ) -> Iterable[bytes]:
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        target = next((v for k, v in pairs if k == "next"), None)
        cookies = {k: v for k, v in pairs if k != "next"}
        extra = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in cookies.items()]
        if target:
            return _reply(sr, 302, b"", extra=[*extra, ("Location", target)])
        return _json_reply(sr, 200, cookies, extra=extra)

    def _delete_cookie(
        self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse
    ) -> Iterable[bytes]:
        names = [k for k, _ in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)]
        extra = [("Set-Cookie", f"{k}=; Max-Age=0; Path=/") for k in names]
        return _json_reply(sr, 200, names, extra=extra)

    def _cookies(self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse) -> Iterable[bytes]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return _reply(sr, 400, b"bad Cookie header")
        return _json_reply(sr, 200, {k: m.value for k, m in jar.items()})

    def _job_route(
        self, environ: dict[str, Any], method: str, rest: str, sr: StartResponse
    ) -> Iterable[bytes]:
        if not rest:
            if method != "POST":
                return _reply(sr, 405, b"")
            return self._create_job(environ, sr)
        job_id = _int(rest)
        if method not in ("GET", "HEAD"):
            return _reply(sr, 405, b"")
        entry = self._jobs.get(job_id) if job_id is not None else None
        if entry is None:
            return _reply(sr, 404, b"no such job")
        status = "ACTIVE" if time.monotonic() >= entry[1] else "PENDING"
        return _json_reply(sr, 200, {"id": job_id, "status": status})

    def _create_job(self, environ: dict[str, Any], sr: StartResponse) -> Iterable[bytes]:
        delay_ms: Any = dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("delay_ms")
        body = _read_body(environ)
        if body:
            try:
                doc = json.loads(body)
            except ValueError:
                return _reply(sr, 400, b"body is not JSON")
            if isinstance(doc, dict) and "delay_ms" in doc:
                delay_ms = doc["delay_ms"]
        delay = _float(delay_ms) if delay_ms is not None else DEFAULT_JOB_DELAY_MS
        if delay is None or delay < 0:
            return _reply(sr, 400, b"delay_ms must be a number >= 0")
        job_id = self._next_job
        self._next_job += 1
        now = time.monotonic()
        self._jobs[job_id] = (now, now + delay / 1000.0)
        if len(self._jobs) > MAX_JOBS:  # keep memory flat through long benches: forget the oldest
            del self._jobs[next(iter(self._jobs))]
        return _json_reply(sr, 201, {"id": job_id, "status": "PENDING"})


_Route = Callable[[TargetApp, dict[str, Any], str, str, StartResponse], Iterable[bytes]]
_ROUTES: dict[str, _Route] = {
    "bytes": TargetApp._bytes,
    "delay": TargetApp._delay,
    "status": TargetApp._status,
    "redirect": TargetApp._redirect,
    "echo": TargetApp._echo,
    "anything": TargetApp._anything,
    "set-cookie": TargetApp._set_cookie,
    "delete-cookie": TargetApp._delete_cookie,
    "cookies": TargetApp._cookies,
    "jobs": TargetApp._job_route,
}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _pieces(n: int) -> Iterable[bytes]:
    """``n`` bytes of b"x", the same 1 MiB buffer over and over: a large body is never built whole."""
    while n > 0:
        size = min(n, len(_PIECE))
        yield _PIECE if size == len(_PIECE) else _PIECE[:size]
        n -= size


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    return stream.read() if stream is not None else b""


def _reply(
    start_response: StartResponse,
    code: int,
    body: bytes,
    content_type: str = _TEXT,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    if extra:
        headers.extend(extra)
    start_response(_STATUS[code], headers)
    return [body]


def _json_reply(
    start_response: StartResponse, code: int, doc: Any, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    return _reply(start_response, code, json.dumps(doc).encode(), _JSON, extra)


class _Server(WSGIServer):  # type: ignore[misc]  # gevent ships no types
    """pywsgi with Nagle off: it sends headers and body in two writes, and with Nagle on the
    body waits for the client's delayed ACK (40 ms on Linux) on every kept-alive request."""

    def handle(self, sock: Any, address: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not TCP (a Unix socket): nothing to turn off
            pass
        super().handle(sock, address)


def make_app(stall_every: float = 0, stall_for: float = 0) -> TargetApp:
    """The target's WSGI callable; ``stall_*`` in seconds (see the module docstring)."""
    return TargetApp(stall_every, stall_for)


def start_in_background(
    host: str = "127.0.0.1", port: int = 0, stall_every: float = 0, stall_for: float = 0
) -> tuple[WSGIServer, int]:
    """Start the target in this gevent process; ``port=0`` picks a free port. ``server.stop()`` ends it.

    Only clients that yield to gevent (monkey-patched or gevent sockets) can talk to it from
    the same process; otherwise run ``python -m fastswarm.target`` as a subprocess.
    """
    server = _Server((host, port), make_app(stall_every, stall_for), log=None)
    server.start()
    return server, server.server_port


def describe_start_error(exc: Exception, host: str, port: int) -> str:
    """One line for why the target could not start: ``port 8080 on 127.0.0.1 is in use``..."""
    if isinstance(exc, OSError):
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is in use (another program listens there; pick --port)"
        return f"cannot listen on {host}:{port}: {os.strerror(exc.errno) if exc.errno else exc}"
    return str(exc)


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    stall_every: float = 0,
    stall_for: float = 0,
    quiet: bool = True,
    announce: bool = True,
) -> None:
    """Serve until interrupted. Prints ``listening on http://HOST:PORT`` once bound if ``announce``.

    ``quiet=False`` turns on pywsgi's access log (slow; for debugging only).
    """
    app = make_app(stall_every, stall_for)
    server = _Server((host, port), app, log=None if quiet else "default")
    server.start()
    if announce:
        print(f"listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(timeout=1)
