"""Routes and tabs a tasks file adds to the status endpoint: Locust's ``environment.web_ui``.

Locust hands init listeners its Flask app; here ``environment.web_ui.app`` is a small
stand-in with Flask's registration API (``route``, ``add_url_rule``, ``<name>`` and
``<int:name>`` path variables), so a ported listener keeps its body. No Flask: the master
stays one light WSGI app, and every added route passes through the same Host/Origin guard
as the built-in ones before it is even matched. The built-in routes are matched first and
cannot be replaced: registering one is a one-line ``TasksFileError`` (exit 2), as is every
other misuse, recorded so that the master ends the run after the init event instead of
serving a page that is not there.

A view marked ``web_ui.auth_required`` needs the ``--web-auth-token`` exactly as the
built-in routes do (either decorator order works: the mark is on the function); an
unmarked view is public, as in Locust. A view that raises is logged with its traceback on
the master and answered with a one-line JSON 500; the server carries on.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastswarm.exception import TasksFileError
from fastswarm.web.extend_reply import to_reply
from fastswarm.web.extend_request import Request, bind
from fastswarm.web.reply import HttpError, Reply, json_reply

if TYPE_CHECKING:
    import gevent

    from fastswarm.web.server import WebServer

log = logging.getLogger(__name__)

View = Callable[..., Any]
AUTH_MARK = "fastswarm_auth_required"
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "string": (r"[^/]+", str),
    "int": (r"\d+", int),
    "float": (r"\d+\.\d+", float),
    "path": (r"[^/].*?", str),
    "uuid": (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", str),
}
_VARIABLE = re.compile(r"<(?:([a-z]+):)?([A-Za-z_][A-Za-z0-9_]*)>")
_LITERAL = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
# Locust's Flask and Jinja hooks, with what to write instead.
_NOT_HERE = {
    "register_blueprint": "register each route with web_ui.app.route, and a tab with web_ui.add_tab",
    "after_request": "serve the extra data from a route of your own and show it with web_ui.add_tab",
    "before_request": "guard the route with @web_ui.auth_required",
    "errorhandler": "a view that raises is answered with a JSON 500; return (body, status) instead",
    "template_args": "there are no templates: show a route's JSON with web_ui.add_tab(title, route, columns)",
    "update_template_args": "there are no templates: see web_ui.add_tab",
    "set_static_modern_ui": "there are no templates: see web_ui.add_tab",
    "auth_args": "--web-login asks for the --web-auth-token; there is no custom login form",
}


@dataclass(frozen=True, slots=True)
class UserRoute:
    """One rule of a tasks file, compiled."""

    rule: str
    endpoint: str
    view: View
    methods: frozenset[str]
    pattern: re.Pattern[str]
    converters: tuple[tuple[str, Callable[[str], Any]], ...]

    @property
    def auth_required(self) -> bool:
        return bool(getattr(self.view, AUTH_MARK, False))


@dataclass(frozen=True, slots=True)
class Tab:
    """An extra tab of the UI: ``title`` on its button, ``route``'s reply in its panel."""

    title: str
    route: str
    columns: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "route": self.route,
            "columns": [{"key": k, "title": t} for k, t in self.columns],
        }


class ExtensionApp:
    """``environment.web_ui.app``: Flask's ``route`` and ``add_url_rule``, over plain WSGI."""

    def __init__(self, is_builtin: Callable[[str], bool]) -> None:
        self._is_builtin = is_builtin
        self.routes: list[UserRoute] = []
        self.tabs: list[Tab] = []
        self.errors: list[TasksFileError] = []  # the master ends the run on the first, after init

    def route(self, rule: str, **options: Any) -> Callable[[View], View]:
        """Decorator: serve ``rule`` with the decorated view (Flask's ``app.route``)."""

        def register(view: View) -> View:
            self.add_url_rule(rule, options.pop("endpoint", None), view, **options)
            return view

        return register

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: View | None = None,
        methods: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        """Serve ``rule`` with ``view_func`` for ``methods`` (GET if none)."""
        try:
            self.routes.append(self._compile(rule, endpoint, view_func, methods, options))
        except TasksFileError as exc:
            self.errors.append(exc)
            raise

    def match(self, path: str, method: str) -> tuple[UserRoute, dict[str, Any]] | None:
        """The route serving ``path`` and its converted variables; None if none; 405 if another method."""
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if method not in route.methods:
                allowed.extend(m for m in sorted(route.methods) if m not in allowed)
                continue
            try:
                return route, {name: convert(found.group(name)) for name, convert in route.converters}
            except ValueError:
                continue
        if allowed:
            text = ", ".join(allowed)
            raise HttpError(405, f"{method[:20]} {path[:200]}: allowed: {text}", headers=[("Allow", text)])
        return None

    def serve(self, route: UserRoute, variables: dict[str, Any], environ: dict[str, Any]) -> Reply:
        """Run the view with this request bound to ``fastswarm.web.request``; its reply or a JSON 500."""
        bind(Request(environ, variables))
        try:
            return to_reply(route.view(**variables))
        except HttpError:
            raise
        except Exception as exc:
            log.exception("web_ui route %s (%s) failed", route.rule, route.endpoint)
            message = (
                f"{route.rule}: the view {route.endpoint} raised {type(exc).__name__}; see the master's log"
            )
            return json_reply(500, {"error": message})
        finally:
            bind(None)

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_HERE:
            self._fail(f"web_ui.app.{name} is Flask's, which fastswarm does not use: {_NOT_HERE[name]}")
        raise AttributeError(f"'web_ui.app' has no attribute {name!r} (it has route and add_url_rule)")

    def _fail(self, message: str) -> Any:
        error = TasksFileError(f"web_ui: {message}")
        self.errors.append(error)
        raise error

    def _compile(
        self, rule: Any, endpoint: str | None, view: View | None, methods: Iterable[str] | None, options: Any
    ) -> UserRoute:
        if options:
            raise TasksFileError(
                f"web_ui: route {rule!r}: unsupported option(s) {', '.join(sorted(options))}"
            )
        if not isinstance(rule, str) or not rule.startswith("/") or rule.startswith("//"):
            raise TasksFileError(f"web_ui: route {rule!r}: a rule is a path starting with one '/'")
        if not callable(view):
            raise TasksFileError(f"web_ui: route {rule!r}: view_func must be a function, not {view!r}")
        wanted = frozenset(
            m.upper()
            for m in (["GET"] if methods is None else [methods] if isinstance(methods, str) else methods)
        )
        if not wanted or not wanted <= _METHODS:
            raise TasksFileError(
                f"web_ui: route {rule!r}: methods must be some of {', '.join(sorted(_METHODS))}"
            )
        pattern, converters = _pattern(rule)
        literal = rule if not converters else None
        if (
            (literal is not None and self._is_builtin(literal))
            or rule.startswith("/static/")
            or rule == "/static"
        ):
            raise TasksFileError(f"web_ui: route {rule!r} is one of fastswarm's own; choose another path")
        name = endpoint or getattr(view, "__name__", None) or rule
        for other in self.routes:
            if endpoint is not None and other.endpoint == endpoint and other.view is not view:
                raise TasksFileError(f"web_ui: route {rule!r}: endpoint {name!r} is already another view's")
            if other.rule == rule and other.methods & wanted:
                both = ", ".join(sorted(other.methods & wanted))
                raise TasksFileError(f"web_ui: route {rule!r} ({both}) is registered twice")
        return UserRoute(rule, name, view, wanted, pattern, converters)


def _pattern(rule: str) -> tuple[re.Pattern[str], tuple[tuple[str, Callable[[str], Any]], ...]]:
    parts: list[str] = []
    converters: list[tuple[str, Callable[[str], Any]]] = []
    position = 0
    for found in _VARIABLE.finditer(rule):
        parts.append(_literal(rule, rule[position : found.start()]))
        kind, name = found.group(1) or "string", found.group(2)
        if kind not in _CONVERTERS:
            raise TasksFileError(
                f"web_ui: route {rule!r}: unknown converter {kind!r} ({', '.join(_CONVERTERS)})"
            )
        if any(name == seen for seen, _ in converters):
            raise TasksFileError(f"web_ui: route {rule!r}: variable {name!r} appears twice")
        regex, convert = _CONVERTERS[kind]
        parts.append(f"(?P<{name}>{regex})")
        converters.append((name, convert))
        position = found.end()
    parts.append(_literal(rule, rule[position:]))
    return re.compile("".join(parts)), tuple(converters)


def _literal(rule: str, text: str) -> str:
    if not _LITERAL.fullmatch(text):
        raise TasksFileError(f"web_ui: route {rule!r}: {text!r} is not a plain path (or a '<' is not closed)")
    return re.escape(text)


class WebUI:
    """``environment.web_ui`` on the master (None on workers and with --no-web, as in Locust)."""

    def __init__(self, app: ExtensionApp, server: WebServer) -> None:
        self.app = app
        self._server = server

    @property
    def tabs(self) -> list[Tab]:
        return self.app.tabs

    @property
    def errors(self) -> list[TasksFileError]:
        return self.app.errors

    @property
    def greenlet(self) -> gevent.Greenlet | None:
        """Ends when the endpoint stops serving (``greenlet.join()`` waits for it)."""
        return self._server.greenlet

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    def auth_required(self, view: View) -> View:
        """Decorator: the view needs --web-auth-token as every built-in route does."""
        target = getattr(view, "__func__", view)
        try:
            setattr(target, AUTH_MARK, True)
            return view
        except (AttributeError, TypeError):  # a builtin or slotted callable: mark a wrapper
            wrapper = functools.wraps(view)(lambda *args, **kwargs: view(*args, **kwargs))
            setattr(wrapper, AUTH_MARK, True)
            return wrapper

    def add_tab(self, title: str, route: str, columns: Iterable[Any] | None = None) -> None:
        """Show ``route`` (a path of this server) as a tab of the UI, titled ``title``.

        JSON is shown as a table (a list of objects: one row each, ``columns`` as Locust's
        ``extended_tables`` structure, ``[{"key": ..., "title": ...}]``, or the first row's
        keys), HTML in a sandboxed frame, anything else as text.
        """
        try:
            self.app.tabs.append(_tab(title, route, columns, [t.title for t in self.app.tabs]))
        except TasksFileError as exc:
            self.app.errors.append(exc)
            raise

    def stop(self) -> None:
        self._server.stop()

    def __getattr__(self, name: str) -> Any:
        if name in _NOT_HERE:
            return self.app._fail(f"web_ui.{name} is Locust's Flask/Jinja hook: {_NOT_HERE[name]}")
        raise AttributeError(f"'web_ui' has no attribute {name!r}")


def _tab(title: Any, route: Any, columns: Iterable[Any] | None, titles: list[str]) -> Tab:
    if not isinstance(title, str) or not 0 < len(title.strip()) <= 60:
        raise TasksFileError(f"web_ui.add_tab: title {title!r} must be text of 1 to 60 characters")
    if title in titles:
        raise TasksFileError(f"web_ui.add_tab: a tab titled {title!r} exists already")
    if (
        not isinstance(route, str)
        or not route.startswith("/")
        or route.startswith("//")
        or not route.isprintable()
    ):
        raise TasksFileError(
            f"web_ui.add_tab: route {route!r} must be a path of this server, like '/my-page'"
        )
    pairs: list[tuple[str, str]] = []
    for column in columns or ():
        if isinstance(column, dict) and isinstance(column.get("key"), str):
            pairs.append((column["key"], str(column.get("title", column["key"]))))
        elif isinstance(column, str):
            pairs.append((column, column))
        else:
            raise TasksFileError(
                f"web_ui.add_tab: column {column!r}: give {{'key': ..., 'title': ...}} or a key"
            )
    return Tab(title.strip(), route, tuple(pairs))
