"""The status endpoint as one WSGI application: routing, auth, JSON errors, static UI.

Plain WSGI (no framework) because the surface is a dozen routes and the master must stay
light. Rules every route follows: state changes only by POST with a JSON body (415
otherwise, which also makes cross-site form posts impossible); a bad value is 400 naming
the field; a wrong method is 405 and an unknown path 404, each with a JSON error body.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastswarm.exception import FastswarmError
from fastswarm.stats import report
from fastswarm.stats.html_report import build_html_report
from fastswarm.stats.prometheus import CONTENT_TYPE as PROMETHEUS_TYPE
from fastswarm.stats.prometheus import render_metrics
from fastswarm.web.control import ControlError, SessionControl
from fastswarm.web.distribution import NoSuchEndpoint, distribution_json
from fastswarm.web.log_ring import LogRing
from fastswarm.web.openapi import openapi_document
from fastswarm.web.swarm import parse_swarm

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024
COOKIE = "fastswarm_token"
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
_REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}

Headers = list[tuple[str, str]]
Reply = tuple[int, Headers, bytes]


class HttpError(Exception):
    """Ends a request with ``status`` and a JSON error body."""

    def __init__(
        self, status: int, message: str, field: str | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, list(headers)


def _json(status: int, data: Any, headers: Headers | None = None) -> Reply:
    body = json.dumps(data, ensure_ascii=False).encode()
    return status, [("Content-Type", "application/json"), *(headers or [])], body


def _text(content_type: str, text: str, headers: Headers | None = None) -> Reply:
    return 200, [("Content-Type", content_type), *(headers or [])], text.encode()


class StatusApp:
    """WSGI app over a ``SessionControl``; ``token`` (if set) guards every route but /healthz."""

    def __init__(
        self,
        control: SessionControl,
        token: str | None = None,
        default_users: int = 1,
        default_spawn_rate: float = 1.0,
        static_dir: Path = STATIC_DIR,
        log_ring: LogRing | None = None,
    ) -> None:
        self.control = control
        self.log_ring = log_ring  # the master's last log lines (GET /logs); None: none kept
        self.token = token or None
        self.default_users = default_users
        self.default_spawn_rate = default_spawn_rate
        self.static_dir = static_dir
        get, post = "GET", "POST"
        self.routes: dict[str, dict[str, Callable[[dict[str, Any]], Reply]]] = {
            "/": {get: self._index},
            "/healthz": {get: lambda env: _json(200, {"status": "ok"})},
            "/stats": {get: lambda env: _json(200, self.control.snapshot())},
            "/stats/history": {get: self._history},
            "/stats/distribution": {get: self._distribution},
            "/logs": {get: self._logs},
            "/report.json": {get: self._report_json},
            "/metrics": {get: self._metrics},
            "/openapi.json": {get: lambda env: _json(200, openapi_document())},
            "/report.html": {get: self._report},
            "/stats.csv": {get: lambda env: self._csv(report.stats_csv_text(self.control.aggregator))},
            "/errors.csv": {get: lambda env: self._csv(report.failures_csv_text(self.control.aggregator))},
            "/swarm": {post: self._swarm},
            "/stop": {post: self._stop},
            "/reset": {post: self._reset},
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self.dispatch(environ)
        except HttpError as exc:
            error: dict[str, Any] = {"error": exc.message}
            if exc.field:
                error["field"] = exc.field
            status, headers, body = _json(exc.status, error, exc.headers)
        except Exception:  # a bug: answer 500, keep serving
            log.exception(
                "status endpoint: %s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            status, headers, body = _json(500, {"error": "internal error; see the master's log"})
        headers += [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
        return [body]

    def dispatch(self, environ: dict[str, Any]) -> Reply:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/static/"):
            self._authorize(environ, path)
            if method != "GET":
                raise HttpError(405, f"{method} {path}: allowed: GET", headers=[("Allow", "GET")])
            return self._static(path[len("/static/") :])
        handlers = self.routes.get(path)
        if handlers is None:
            raise HttpError(404, f"{path}: no such route (see /openapi.json)")
        if method not in handlers:
            allowed = ", ".join(handlers)
            raise HttpError(405, f"{method} {path}: allowed: {allowed}", headers=[("Allow", allowed)])
        if path != "/healthz":
            self._authorize(environ, path)
        return handlers[method](environ)

    # -- auth --
    def _authorize(self, environ: dict[str, Any], path: str) -> None:
        token = self.token
        if token is None:
            return
        given = environ.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        if COOKIE in cookie and hmac.compare_digest(cookie[COOKIE].value.encode(), token.encode()):
            return
        if path == "/" and environ.get("REQUEST_METHOD") == "GET":
            query = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
            if query and hmac.compare_digest(query.encode(), token.encode()):
                # A browser cannot send a Bearer header for the page itself: trade the token
                # for a strict, HTTP-only cookie and drop it from the address bar.
                set_cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
                raise _Redirect("/", [("Set-Cookie", set_cookie)])
        raise HttpError(
            401,
            "missing or wrong token: send 'Authorization: Bearer TOKEN'",
            headers=[("WWW-Authenticate", "Bearer")],
        )

    # -- reads --
    def _index(self, environ: dict[str, Any]) -> Reply:
        return self._static("index.html")

    def _static(self, name: str) -> Reply:
        path = (self.static_dir / name).resolve()
        kind = _STATIC_TYPES.get(path.suffix)
        if kind is None or path.parent != self.static_dir.resolve() or not path.is_file():
            raise HttpError(404, f"/static/{name}: no such file")
        return 200, [("Content-Type", kind)], path.read_bytes()

    def _history(self, environ: dict[str, Any]) -> Reply:
        points = self.control.aggregator.history()
        data = [
            {
                "t": p.t,
                "rps": round(p.rps, 3),
                "failures_per_s": round(p.failures_per_s, 3),
                "users": p.users,
                "p50": p.p50,
                "p95": p.p95,
                "p99": p.p99,
            }
            for p in points
        ]
        return _json(200, {"limit": self.control.aggregator.history_limit, "points": data})

    def _distribution(self, environ: dict[str, Any]) -> Reply:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            return _json(200, distribution_json(self.control.aggregator, query))
        except NoSuchEndpoint as exc:
            raise HttpError(404, str(exc)) from None
        except ControlError as exc:
            raise HttpError(400, str(exc), exc.field) from None

    def _logs(self, environ: dict[str, Any]) -> Reply:
        after = parse_qs(environ.get("QUERY_STRING", "")).get("after", ["0"])[-1]
        if not (after.isascii() and after.isdigit()):
            raise HttpError(400, f"after: {after!r} is not a whole number >= 0", "after")
        if self.log_ring is None:
            return _json(200, {"limit": 0, "last_seq": 0, "dropped": 0, "lines": []})
        return _json(200, self.log_ring.to_json(int(after)))

    def _report_json(self, environ: dict[str, Any]) -> Reply:
        return _json(200, report.build_json_report(self.control.aggregator, self.control.run_info()))

    def _metrics(self, environ: dict[str, Any]) -> Reply:
        return _text(PROMETHEUS_TYPE, render_metrics(self.control.aggregator, self.control.gauges()))

    def _report(self, environ: dict[str, Any]) -> Reply:
        html = build_html_report(self.control.aggregator, self.control.run_info())
        return _text("text/html; charset=utf-8", html)

    @staticmethod
    def _csv(text: str) -> Reply:
        return _text("text/csv; charset=utf-8", text)

    # -- commands --
    def _body(self, environ: dict[str, Any]) -> Any:
        kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            raise HttpError(415, f"Content-Type must be application/json, not {kind or 'none'!r}")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HttpError(400, "Content-Length: not a number", "Content-Length") from None
        if length > MAX_BODY:
            raise HttpError(413, f"body: larger than {MAX_BODY} bytes")
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"body: not valid JSON ({exc})", "body") from None

    def _swarm(self, environ: dict[str, Any]) -> Reply:
        body = self._body(environ)
        try:
            req = parse_swarm(body, self.default_users, self.default_spawn_rate)
            if req.rate is not None and not self.control.supports_rate():
                raise ControlError("rate: the open model is not available", "rate")
            self.control.start_test(req.users, req.spawn_rate, req.host, req.run_time, req.rate)
        except ControlError as exc:
            raise HttpError(400 if exc.field else 409, str(exc), exc.field) from None
        except FastswarmError as exc:
            raise HttpError(409, str(exc)) from None
        return _json(200, {"success": True, "message": "swarming started", "state": self._state()})

    def _stop(self, environ: dict[str, Any]) -> Reply:
        self._body(environ)
        self.control.stop_test()
        return _json(200, {"success": True, "message": "stopped", "state": self._state()})

    def _reset(self, environ: dict[str, Any]) -> Reply:
        self._body(environ)
        self.control.reset_stats()
        return _json(200, {"success": True, "message": "stats reset", "state": self._state()})

    def _state(self) -> str:
        return str(self.control.gauges().state)


class _Redirect(HttpError):
    def __init__(self, location: str, headers: Headers) -> None:
        super().__init__(303, "see " + location, headers=[("Location", location), *headers])
