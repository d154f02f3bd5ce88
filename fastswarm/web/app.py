"""The status endpoint as one WSGI application: routing, auth, JSON errors, static UI.

Plain WSGI (no framework) because the surface is a dozen routes and the master must stay
light. Rules every route follows: a request whose Host is not this server is 421 and a
cross-origin POST 403 (``guard.py``); state changes only by POST with a JSON body (415
otherwise, which also makes cross-site form posts impossible), read within bounds
(``body.py``); a bad value is 400 naming the field; a wrong method is 405 and an unknown
path 404. Every answer but the UI's files and the text exports is JSON, and a client's
input never gets a 5xx: a 500 means a bug, logged by the master, with no traceback sent.
A tasks file's own routes (``extend.py``, ``environment.web_ui``) are matched only after
the built-in ones, behind the same Host/Origin guard, and behind the token if marked so.
"""

from __future__ import annotations

import hmac
import logging
import re
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
from fastswarm.web.body import read_json_body
from fastswarm.web.control import ControlError, SessionControl
from fastswarm.web.distribution import NoSuchEndpoint, distribution_json
from fastswarm.web.extend import ExtensionApp
from fastswarm.web.extend_reply import reason
from fastswarm.web.guard import HostGuard
from fastswarm.web.log_ring import LogRing
from fastswarm.web.login import (
    COOKIE,
    cleared_cookie,
    login_page,
    session_cookie,
    submitted_token,
    wrong_token_pause,
)
from fastswarm.web.openapi import openapi_document
from fastswarm.web.reply import REASONS, Headers, HttpError, Reply, json_reply, text_reply
from fastswarm.web.swarm import parse_swarm

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
_ALWAYS = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
_STATIC_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,100}")


class StatusApp:
    """WSGI app over a ``SessionControl``; ``token`` (if set) guards every route but /healthz."""

    def __init__(
        self,
        control: SessionControl,
        token: str | None = None,
        default_users: int = 1,
        default_spawn_rate: float = 1.0,
        static_dir: Path = STATIC_DIR,
        guard: HostGuard | None = None,
        log_ring: LogRing | None = None,
        web_login: bool = False,
    ) -> None:
        self.control = control
        self.guard = guard or HostGuard("127.0.0.1")
        self.log_ring = log_ring  # the master's last log lines (GET /logs); None: none kept
        self.token = token or None
        self.default_users = default_users
        self.default_spawn_rate = default_spawn_rate
        self.static_dir = static_dir
        self.web_login = web_login and self.token is not None  # the form asks for the token
        get, post = "GET", "POST"
        self.routes: dict[str, dict[str, Callable[[dict[str, Any]], Reply]]] = {
            "/": {get: self._index},
            "/healthz": {get: lambda env: json_reply(200, {"status": "ok"})},
            "/stats": {get: lambda env: json_reply(200, self.control.snapshot())},
            "/stats/history": {get: self._history},
            "/stats/distribution": {get: self._distribution},
            "/logs": {get: self._logs},
            "/report.json": {get: self._report_json},
            "/metrics": {get: self._metrics},
            "/openapi.json": {get: lambda env: json_reply(200, openapi_document(self.web_login))},
            "/report.html": {get: self._report},
            "/stats.csv": {get: lambda env: self._csv(report.stats_csv_text(self.control.aggregator))},
            "/errors.csv": {get: lambda env: self._csv(report.failures_csv_text(self.control.aggregator))},
            "/swarm": {post: self._swarm},
            "/stop": {post: self._stop},
            "/reset": {post: self._reset},
            "/extensions": {get: self._extensions},
        }
        if self.web_login:
            self.routes["/login"] = {get: lambda env: login_page(self.static_dir), post: self._login}
            self.routes["/logout"] = {post: self._logout}
        self.extensions = ExtensionApp(self._is_builtin)  # environment.web_ui.app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self.dispatch(environ)
        except HttpError as exc:
            status, headers, body = exc.reply()
        except Exception:  # a bug: log it, answer a JSON 500 (no traceback), keep serving
            log.exception(
                "status endpoint: %s %s failed",
                environ.get("REQUEST_METHOD"),
                ascii(environ.get("PATH_INFO"))[:200],
            )
            status, headers, body = json_reply(500, {"error": "internal error; see the master's log"})
        present = {name.lower() for name, _ in headers}  # a tasks file's view may set its own
        headers += [(k, v) for k, v in _ALWAYS if k.lower() not in present]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {REASONS.get(status) or reason(status)}", headers)
        return [body]

    def dispatch(self, environ: dict[str, Any]) -> Reply:
        self.guard.check(environ)  # before anything else: a rebound name reads nothing either
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/static/"):
            self._authorize(environ, path)
            if method != "GET":
                raise HttpError(
                    405, f"{_clip(method)} {_clip(path)}: allowed: GET", headers=[("Allow", "GET")]
                )
            return self._static(path[len("/static/") :])
        handlers = self.routes.get(path)
        if handlers is None:
            found = self.extensions.match(path, method)
            if found is None:
                raise HttpError(404, f"{_clip(path)}: no such route (see /openapi.json)")
            route, variables = found
            if route.auth_required:
                self._authorize(environ, path)
            return self.extensions.serve(route, variables, environ)
        if method not in handlers:
            allowed = ", ".join(handlers)
            raise HttpError(405, f"{_clip(method)} {path}: allowed: {allowed}", headers=[("Allow", allowed)])
        if path not in ("/healthz", "/login", "/logout"):
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
                raise _Redirect("/", [("Set-Cookie", session_cookie(token))])
            if self.web_login:
                raise _Redirect("/login", [])
        raise HttpError(
            401,
            "missing or wrong token: send 'Authorization: Bearer TOKEN'",
            headers=[("WWW-Authenticate", "Bearer")],
        )

    def _is_builtin(self, path: str) -> bool:
        return path in self.routes or path in ("/login", "/logout")

    def _login(self, environ: dict[str, Any]) -> Reply:
        token, from_form = submitted_token(environ)
        assert self.token is not None  # /login exists only with a token
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            wrong_token_pause()
            if from_form:
                raise _Redirect("/login?failed", [])
            raise HttpError(401, "wrong token", "token")
        if from_form:
            raise _Redirect("/", [("Set-Cookie", session_cookie(self.token))])
        return json_reply(200, {"success": True}, [("Set-Cookie", session_cookie(self.token))])

    def _logout(self, environ: dict[str, Any]) -> Reply:
        raise _Redirect("/login", [("Set-Cookie", cleared_cookie())])

    def _extensions(self, environ: dict[str, Any]) -> Reply:
        routes = [
            {"rule": r.rule, "methods": sorted(r.methods), "auth_required": r.auth_required}
            for r in self.extensions.routes
        ]
        tabs = [t.to_json() for t in self.extensions.tabs]
        return json_reply(200, {"tabs": tabs, "routes": routes, "login": self.web_login})

    # -- reads --
    def _index(self, environ: dict[str, Any]) -> Reply:
        return self._static("index.html")

    def _static(self, name: str) -> Reply:
        missing = HttpError(404, f"/static/{_clip(name)}: no such file")
        if not _STATIC_NAME.fullmatch(name):  # the folder is flat: no /, no NUL, no ..
            raise missing
        path = (self.static_dir / name).resolve()
        kind = _STATIC_TYPES.get(path.suffix)
        if kind is None or path.parent != self.static_dir.resolve() or not path.is_file():
            raise missing
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
        return json_reply(200, {"limit": self.control.aggregator.history_limit, "points": data})

    def _distribution(self, environ: dict[str, Any]) -> Reply:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            return json_reply(200, distribution_json(self.control.aggregator, query))
        except NoSuchEndpoint as exc:
            raise HttpError(404, str(exc)) from None
        except ControlError as exc:
            raise HttpError(400, str(exc), exc.field) from None

    def _logs(self, environ: dict[str, Any]) -> Reply:
        after = parse_qs(environ.get("QUERY_STRING", "")).get("after", ["0"])[-1]
        if not (after.isascii() and after.isdigit()):
            raise HttpError(400, f"after: {after!r} is not a whole number >= 0", "after")
        if self.log_ring is None:
            return json_reply(200, {"limit": 0, "last_seq": 0, "dropped": 0, "lines": []})
        return json_reply(200, self.log_ring.to_json(int(after)))

    def _report_json(self, environ: dict[str, Any]) -> Reply:
        return json_reply(200, report.build_json_report(self.control.aggregator, self.control.run_info()))

    def _metrics(self, environ: dict[str, Any]) -> Reply:
        return text_reply(PROMETHEUS_TYPE, render_metrics(self.control.aggregator, self.control.gauges()))

    def _report(self, environ: dict[str, Any]) -> Reply:
        html = build_html_report(
            self.control.aggregator, self.control.run_info(), self.control.report_extras()
        )
        return text_reply("text/html; charset=utf-8", html)

    @staticmethod
    def _csv(text: str) -> Reply:
        return text_reply("text/csv; charset=utf-8", text)

    # -- commands --
    @staticmethod
    def _body(environ: dict[str, Any]) -> Any:
        return read_json_body(environ)

    def _swarm(self, environ: dict[str, Any]) -> Reply:
        body = self._body(environ)
        try:
            req = parse_swarm(body, self.default_users, self.default_spawn_rate)
            self.control.start_test(req.users, req.spawn_rate, req.host, req.run_time, req.rate)
        except ControlError as exc:
            raise HttpError(400 if exc.field else 409, str(exc), exc.field) from None
        except FastswarmError as exc:
            raise HttpError(409, str(exc)) from None
        return json_reply(200, {"success": True, "message": "swarming started", "state": self._state()})

    def _stop(self, environ: dict[str, Any]) -> Reply:
        self._body(environ)
        self.control.stop_test()
        return json_reply(200, {"success": True, "message": "stopped", "state": self._state()})

    def _reset(self, environ: dict[str, Any]) -> Reply:
        self._body(environ)
        self.control.reset_stats()
        return json_reply(200, {"success": True, "message": "stats reset", "state": self._state()})

    def _state(self) -> str:
        return str(self.control.gauges().state)


def _clip(text: str) -> str:
    """A client's path or method in a message: at most 200 characters."""
    return text if len(text) <= 200 else text[:197] + "..."


class _Redirect(HttpError):
    def __init__(self, location: str, headers: Headers) -> None:
        super().__init__(303, "see " + location, headers=[("Location", location), *headers])
