"""A tasks file's own routes and tabs (``environment.web_ui``) and ``--web-login``, in process.

Each request goes through the whole WSGI app (guard, auth, routing, replies), as a browser's
would; only the socket is left out. The end-to-end runs are in test_web_extend_e2e.py.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError, TasksFileError
from fastswarm.user.event_hook import EventHook
from fastswarm.web import Response, abort, jsonify, make_response, request
from fastswarm.web import login as login_module
from fastswarm.web.app import StatusApp
from fastswarm.web.extend import WebUI
from fastswarm.web.server import WebServer

TOKEN = "s3cret-token-0123456789"


class _Control:
    """No route here reads the session."""


def make(token: str | None = None, web_login: bool = False) -> tuple[StatusApp, WebUI]:
    app = StatusApp(_Control(), token, web_login=web_login)  # type: ignore[arg-type]
    return app, WebUI(app.extensions, WebServer(app, "127.0.0.1", 0, token))


def call(
    app: StatusApp,
    path: str,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1:8089",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE",) else "HTTP_" + key] = value
    raw = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], raw


def test_views_return_what_flask_views_return() -> None:
    app, web_ui = make()
    route = web_ui.app.route
    route("/text")(lambda: "Another page")
    route("/dict")(lambda: {"total": 3, "nan": float("nan")})
    route("/list")(lambda: [1, 2])
    route("/bytes")(lambda: b"\x00raw")
    route("/created")(lambda: ({"id": 7}, 201))
    route("/teapot")(lambda: ("short and stout", 418, {"X-Kind": "pot"}))
    route("/headers-only")(lambda: ("hi", {"X-A": "1"}))
    route("/response")(lambda: Response("a,b\n", 202, {"Content-Disposition": "attachment"}, "text/csv"))
    route("/jsonify")(lambda: jsonify(ok=True))
    route("/made")(lambda: make_response("made", 203))
    route("/cached")(lambda: ("long-lived", {"Cache-Control": "max-age=60"}))
    status, headers, body = call(app, "/text")
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", b"Another page")
    status, headers, body = call(app, "/dict")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"total": 3, "nan": None}  # strict JSON, as every route's
    assert json.loads(call(app, "/list")[2]) == [1, 2]
    assert call(app, "/bytes")[2] == b"\x00raw"
    assert call(app, "/created")[0] == 201
    status, headers, body = call(app, "/teapot")
    assert (status, headers["X-Kind"], body) == (418, "pot", b"short and stout")
    assert call(app, "/headers-only")[1]["X-A"] == "1"
    status, headers, body = call(app, "/response")
    assert (status, headers["Content-Type"], body) == (202, "text/csv; charset=utf-8", b"a,b\n")
    assert headers["Content-Disposition"] == "attachment" and headers["Content-Length"] == "4"
    assert json.loads(call(app, "/jsonify")[2]) == {"ok": True}
    assert call(app, "/made")[:1] == (203,)
    headers = call(app, "/cached")[1]
    assert headers["Cache-Control"] == "max-age=60" and headers["X-Content-Type-Options"] == "nosniff"
    assert call(app, "/text")[1]["Cache-Control"] == "no-store"


def test_path_variables_are_converted_and_a_mismatch_is_404() -> None:
    app, web_ui = make()
    seen: list[Any] = []

    def item(n: int, name: str) -> dict[str, Any]:
        seen.append((n, name))
        return {"n": n, "name": name}

    web_ui.app.add_url_rule("/items/<int:n>/<name>", "item", item)
    web_ui.app.add_url_rule("/files/<path:rest>", view_func=lambda rest: rest)
    assert json.loads(call(app, "/items/42/blue")[2]) == {"n": 42, "name": "blue"}
    assert seen == [(42, "blue")] and isinstance(seen[0][0], int)
    assert call(app, "/items/x/blue")[0] == 404
    assert call(app, "/items/1/a/b")[0] == 404  # <name> takes no slash
    assert call(app, "/files/a/b.txt")[2] == b"a/b.txt"


def test_methods_are_checked_and_request_reads_the_current_request() -> None:
    app, web_ui = make()

    @web_ui.app.route("/echo", methods=["POST", "PUT"])
    def echo() -> Any:
        return {
            "method": request.method,
            "q": request.args.get("q"),
            "n": request.args.get("n", 0, type=int),
            "json": request.get_json(),
            "agent": request.headers.get("User-Agent"),
        }

    @web_ui.app.route("/form", methods=["POST"])
    def form() -> Any:
        return {"name": request.form.get("name"), "all": request.values.getlist("name")}

    @web_ui.app.route("/need-q")
    def need_q() -> str:
        return request.args["q"]

    post = {"Content-Type": "application/json", "User-Agent": "ua/1"}
    status, _, body = call(app, "/echo?q=x&n=5", "POST", b'{"a": [1]}', post)
    assert status == 200
    assert json.loads(body) == {"method": "POST", "q": "x", "n": 5, "json": {"a": [1]}, "agent": "ua/1"}
    status, headers, body = call(app, "/echo")
    assert status == 405 and headers["Allow"] == "POST, PUT"
    status, _, body = call(app, "/echo", "POST", b"a=1", {"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in json.loads(body)["error"]
    status, _, body = call(app, "/echo", "POST", b"[[[", {"Content-Type": "application/json"})
    assert status == 400 and "not valid JSON" in json.loads(body)["error"]
    status, _, body = call(app, "/echo", "POST", b"x" * 70_000, {"Content-Type": "application/json"})
    assert status == 413
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = call(app, "/form?name=q", "POST", b"name=ann&name=bo", form_type)
    assert json.loads(body) == {"name": "ann", "all": ["q", "ann", "bo"]}
    status, _, body = call(app, "/need-q")
    assert status == 400 and "missing parameter 'q'" in json.loads(body)["error"]
    with pytest.raises(RuntimeError, match="only set while a route"):
        request.args  # noqa: B018


def test_auth_required_needs_the_token_in_either_decorator_order() -> None:
    app, web_ui = make(TOKEN)

    @web_ui.app.route("/inner")
    @web_ui.auth_required
    def inner() -> str:
        return "inner"

    @web_ui.auth_required
    @web_ui.app.route("/outer")
    def outer() -> str:
        return "outer"

    class Views:
        def method(self) -> str:
            return "method"

    views = Views()
    web_ui.app.add_url_rule("/method", view_func=views.method)
    web_ui.auth_required(views.method)  # after registering, on a bound method
    web_ui.app.route("/public")(lambda: "public")
    for path in ("/inner", "/outer", "/method"):
        status, headers, _ = call(app, path)
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer", path
        assert call(app, path, headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200
        assert call(app, path, headers={"Authorization": "Bearer wrong"})[0] == 401
        assert call(app, path, headers={"Cookie": f"fastswarm_token={TOKEN}"})[0] == 200
    assert call(app, "/public")[0] == 200  # unmarked views are public, as in Locust
    listed = json.loads(call(app, "/extensions", headers={"Authorization": f"Bearer {TOKEN}"})[2])["routes"]
    assert {r["rule"]: r["auth_required"] for r in listed} == {
        "/inner": True,
        "/outer": True,
        "/method": True,
        "/public": False,
    }


def test_added_routes_are_behind_the_host_and_origin_guard() -> None:
    app, web_ui = make()
    web_ui.app.route("/page", methods=["GET", "POST"])(lambda: "page")
    status, _, body = call(app, "/page", headers={"Host": "evil.example"})
    assert status == 421 and "--web-allow-host" in json.loads(body)["error"]
    cross = {"Origin": "http://evil.example", "Content-Type": "application/json"}
    assert call(app, "/page", "POST", b"{}", cross)[0] == 403
    same = {"Origin": "http://127.0.0.1:8089", "Content-Type": "application/json"}
    assert call(app, "/page", "POST", b"{}", same)[0] == 200


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (lambda ui: ui.app.route("/stats")(lambda: 1), "route '/stats' is one of fastswarm's own"),
        (lambda ui: ui.app.route("/static/x.js")(lambda: 1), "one of fastswarm's own"),
        (lambda ui: ui.app.route("/extensions")(lambda: 1), "one of fastswarm's own"),
        (lambda ui: ui.app.route("/login")(lambda: 1), "one of fastswarm's own"),
        (lambda ui: ui.app.route("page")(lambda: 1), "a path starting with one '/'"),
        (lambda ui: ui.app.route("/a/<float:x")(lambda: 1), "not a plain path"),
        (lambda ui: ui.app.route("/a/<hex:x>")(lambda: 1), "unknown converter 'hex'"),
        (lambda ui: ui.app.route("/a/<x>/<x>")(lambda: 1), "variable 'x' appears twice"),
        (lambda ui: ui.app.route("/a", methods=["FETCH"])(lambda: 1), "methods must be some of"),
        (lambda ui: ui.app.route("/a", strict_slashes=False)(lambda: 1), "unsupported option(s) strict"),
        (lambda ui: ui.app.add_url_rule("/a", "a", None), "view_func must be a function"),
        (lambda ui: ui.app.register_blueprint(object()), "register_blueprint is Flask's"),
        (lambda ui: ui.app.after_request(lambda r: r), "after_request is Flask's"),
        (lambda ui: ui.template_args, "template_args is Locust's Flask/Jinja hook"),
        (lambda ui: ui.add_tab("", "/x"), "title '' must be text"),
        (lambda ui: ui.add_tab("Mine", "https://evil.example/"), "must be a path of this server"),
        (lambda ui: ui.add_tab("Mine", "/x", columns=[3]), "column 3"),
    ],
)
def test_each_misuse_is_one_line_and_recorded(register: Callable[[WebUI], Any], message: str) -> None:
    _, web_ui = make()
    with pytest.raises(TasksFileError, match="^web_ui") as raised:
        register(web_ui)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert web_ui.errors == [raised.value] and raised.value.exit_code == 2


def test_twice_the_same_rule_or_endpoint_is_refused_and_variables_never_shadow_builtins() -> None:
    app, web_ui = make()
    web_ui.app.route("/a")(lambda: "a")
    with pytest.raises(TasksFileError, match="registered twice"):
        web_ui.app.route("/a")(lambda: "again")
    web_ui.app.route("/a", methods=["POST"])(lambda: "post")  # another method of the same rule is fine

    def page() -> str:
        return "page"

    web_ui.app.add_url_rule("/b", "page", page)
    with pytest.raises(TasksFileError, match="endpoint 'page' is already another view's"):
        web_ui.app.add_url_rule("/c", "page", lambda: "c")
    web_ui.app.route("/<anything>")(lambda anything: anything)
    assert call(app, "/healthz")[2] == b'{"status": "ok"}'  # the built-in answers
    assert call(app, "/else")[2] == b"else"


def test_a_raising_view_is_a_one_line_500_and_the_app_serves_on(caplog: pytest.LogCaptureFixture) -> None:
    app, web_ui = make()

    @web_ui.app.route("/boom")
    def boom() -> str:
        raise ValueError("secret detail")

    web_ui.app.route("/none")(lambda: None)
    web_ui.app.route("/split")(lambda: ("x", 200, {"X-A": "1\r\nSet-Cookie: a=b"}))
    web_ui.app.route("/status")(lambda: ("x", 1000))
    web_ui.app.route("/gone")(lambda: abort(410, "gone for good"))
    web_ui.app.route("/fine")(lambda: "fine")
    with caplog.at_level(logging.ERROR):
        status, headers, body = call(app, "/boom")
    assert status == 500 and headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error == "/boom: the view boom raised ValueError; see the master's log"
    assert "secret detail" not in body.decode() and "Traceback" not in body.decode()
    assert "secret detail" in caplog.text  # the traceback is in the master's log
    for path in ("/none", "/split", "/status"):
        status, _, body = call(app, path)
        assert status == 500 and "\n" not in json.loads(body)["error"], path
    assert call(app, "/gone")[:1] == (410,) and json.loads(call(app, "/gone")[2])["error"] == "gone for good"
    assert call(app, "/fine")[2] == b"fine"


def test_tabs_are_listed_for_the_ui_with_locusts_table_structure() -> None:
    app, web_ui = make()
    structure = [{"key": "name", "title": "Name"}, {"key": "content_length", "title": "Total content length"}]
    web_ui.add_tab("Content Length", "/content-length", columns=structure)
    web_ui.add_tab("Page", "/page")
    with pytest.raises(TasksFileError, match="exists already"):
        web_ui.add_tab("Page", "/other")
    doc = json.loads(call(app, "/extensions")[2])
    assert doc["tabs"] == [
        {"title": "Content Length", "route": "/content-length", "columns": structure},
        {"title": "Page", "route": "/page", "columns": []},
    ]
    assert doc["login"] is False


def test_web_login_trades_the_token_for_a_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login_module, "WRONG_TOKEN_PAUSE_S", 0.01)
    app, _ = make(TOKEN, web_login=True)
    status, headers, _ = call(app, "/")
    assert status == 303 and headers["Location"] == "/login"
    status, headers, body = call(app, "/login")
    assert status == 200 and b'name="token"' in body and "Set-Cookie" not in headers
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = call(app, "/login", "POST", b"token=wrong", form)
    assert status == 303 and headers["Location"] == "/login?failed" and "Set-Cookie" not in headers
    status, headers, _ = call(app, "/login", "POST", f"token={TOKEN}".encode(), form)
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert call(app, "/", headers={"Cookie": cookie.split(";")[0]})[0] == 200
    as_json = {"Content-Type": "application/json"}
    assert call(app, "/login", "POST", json.dumps({"token": TOKEN}).encode(), as_json)[0] == 200
    status, _, body = call(app, "/login", "POST", b'{"token": 5}', as_json)
    assert status == 400 and json.loads(body)["field"] == "token"
    assert call(app, "/login", "POST", b'{"token": "no"}', as_json)[0] == 401
    assert call(app, "/login", "POST", b"token=x", {"Content-Type": "text/plain"})[0] == 415
    cross = {**form, "Origin": "http://evil.example"}
    assert call(app, "/login", "POST", f"token={TOKEN}".encode(), cross)[0] == 403
    status, headers, _ = call(app, "/logout", "POST")
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]
    assert call(app, "/stats")[0] == 401  # a script still gets 401, not the form
    paths = json.loads(call(app, "/openapi.json", headers={"Cookie": cookie.split(";")[0]})[2])["paths"]
    assert {"/login", "/logout", "/extensions"} <= set(paths)


def test_without_web_login_there_is_no_form_and_the_flag_needs_a_token() -> None:
    app, _ = make(TOKEN)
    assert call(app, "/")[0] == 401 and call(app, "/login")[0] == 404
    with pytest.raises(ConfigError, match="--web-login: needs --web-auth-token"):
        Config(web_login=True)


def test_the_greenlet_runs_while_the_endpoint_serves() -> None:
    app, _ = make()
    server = WebServer(app, "127.0.0.1", 0, None)
    web_ui = WebUI(app.extensions, server)
    assert web_ui.greenlet is None
    server.start()
    try:
        greenlet = web_ui.greenlet
        assert greenlet is not None and not greenlet.dead and web_ui.port > 0
    finally:
        web_ui.stop()
    greenlet.join(timeout=2)
    assert greenlet.dead


def test_a_fastswarm_error_in_a_listener_is_logged_as_one_line(caplog: pytest.LogCaptureFixture) -> None:
    hook = EventHook()

    def listener(**kwargs: Any) -> None:
        raise TasksFileError("web_ui: route '/stats' is one of fastswarm's own; choose another path")

    hook.add_listener(listener)
    with caplog.at_level(logging.ERROR):
        hook.fire(environment=None)
    (record,) = caplog.records
    assert record.exc_info is None and "route '/stats' is one of fastswarm's own" in record.getMessage()
