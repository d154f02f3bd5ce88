"""The status endpoint under hostile input: each case that once gave a 5xx, a stuck run or invalid JSON.

Against a real master (2 workers, the built-in target on 127.0.0.1): every answer is a 4xx
with a JSON error naming the field, the run's state does not move, and the master logs no
traceback. Then the pieces alone: the Host/Origin guard, the body reader, the 500 path.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from fastswarm.web.app import StatusApp
from fastswarm.web.body import MAX_DEPTH, nesting_depth, read_json_body
from fastswarm.web.guard import HostGuard
from fastswarm.web.reply import HttpError
from fastswarm.web.swarm import check_host, parse_swarm
from tests.conftest import Target
from tests.test_config import _config
from tests.web_support import Master, send, strict_json

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[Master]:
    folder = tmp_path_factory.mktemp("hostile")
    m = Master(folder, "-H", target.url, "-P", "0", "--processes", "2", "-u", "2", "-r", "20",
               "--max-users", "4", "--web-allow-host", "friendly.example")  # fmt: skip
    m.wait_for(lambda s: s["state"] == "ready", what="workers")
    yield m
    m.interrupt()  # Ctrl-C: the master stops its workers before it exits


def _post(m: Master, path: str, body: bytes, headers: dict[str, str | None] | None = None) -> Any:
    status, got, raw = send(m.url, "POST", path, body, {**JSON, **(headers or {})})
    assert got["content-type"] == "application/json", raw
    return status, strict_json(raw)


def _state(m: Master) -> str:
    return str(strict_json(send(m.url, "GET", "/stats")[2])["state"])


def test_static_nul_and_odd_names_are_404_not_500(master: Master) -> None:
    for path in ("/static/%00", "/static/a%00.js", "/static/..%2fapp.py", "/static/", "/static/%ff%fe"):
        status, headers, raw = send(master.url, "GET", path)
        assert status == 404 and "no such file" in strict_json(raw)["error"], (path, raw)
    assert send(master.url, "GET", "/static/app.js")[0] == 200
    assert "Traceback" not in master.stderr


def test_deep_nesting_and_big_bodies_are_400_or_413(master: Master) -> None:
    for raw in (b"[" * 5000 + b"]" * 5000, b'{"users":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                b"{" * 40000):  # fmt: skip
        status, error = _post(master, "/swarm", raw)
        if len(raw) > 64 * 1024:
            assert status == 413, error
        else:
            assert status == 400 and error["field"] == "body" and "nested" in error["error"], error
    status, error = _post(master, "/swarm", b'{"users": NaN}')
    assert status == 400 and error["field"] == "body"
    for length in ("-4", "4x"):  # gevent itself answers these: a plain 400
        status, _, raw = send(
            master.url, "POST", "/swarm", b'{"users": 1}', {**JSON, "Content-Length": length}
        )
        assert status == 400, raw
    assert _state(master) == "ready" and "Traceback" not in master.stderr


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"users": 1e308}, "users"),
        ({"users": 10**30}, "users"),
        ({"users": "1e999"}, "users"),
        ({"users": 1, "spawn_rate": 1e-320}, "spawn_rate"),
        ({"users": 1, "spawn_rate": 1e300}, "spawn_rate"),
        ({"rate": 1e308}, "rate"),
        ({"users": 1, "host": "http://[::1"}, "host"),
        ({"users": 1, "host": "http://127.0.0.1:99999"}, "host"),
        ({"users": 1, "host": "http://a..b/"}, "host"),
        ({"users": 1, "host": "http:///nohost"}, "host"),
        ({"users": 1, "run_time": "1e999"}, "run_time"),
        ({"users": 1, "run_time": 10**400}, "run_time"),
        ({"users": 1, "\ud800": 1}, "'\\ud800'"),
    ],
)
def test_out_of_range_values_are_400_before_any_state_changes(
    master: Master, body: dict[str, Any], field: str
) -> None:
    before = _state(master)
    status, error = _post(master, "/swarm", json.dumps(body).encode())
    assert status == 400 and error["field"] == field and error["error"].startswith(field), error
    assert _state(master) == before
    assert "Traceback" not in master.stderr


def test_a_run_started_with_odd_values_shows_only_valid_json(master: Master) -> None:
    status, result = _post(master, "/swarm", b'{"users": 2, "spawn_rate": 20, "run_time": "366d"}')
    assert status == 400  # "d" is no unit: nothing started
    status, result = _post(master, "/swarm", b'{"users": 2, "spawn_rate": 20, "run_time": 31622400}')
    assert status == 200 and result["state"] == "spawning", result
    try:
        snap = master.wait_for(lambda s: s["totals"]["requests"] > 0, what="requests")
        for path in ("/stats", "/stats/history", "/openapi.json"):
            strict_json(send(master.url, "GET", path)[2])
        assert snap["run_time_left_s"] > 31_000_000
    finally:
        assert _post(master, "/stop", b"{}")[0] == 200
    assert _state(master) in ("stopped", "ready")


def test_the_highest_rate_allowed_keeps_the_workers_alive(master: Master) -> None:
    # The open model's pacer, behind a rate no process can pace, used to never yield: the
    # worker sent no heartbeat, the master lost it after 10 s and (with no worker left) exited.
    status, result = _post(master, "/swarm", b'{"rate": 10000000}')
    assert status == 200, result
    try:
        ages = []
        for _ in range(12):
            time.sleep(0.5)
            snap = strict_json(send(master.url, "GET", "/stats")[2])
            ages += [w["heartbeat_age_s"] for w in snap["workers"]]
            assert all(w["alive"] for w in snap["workers"]), snap["workers"]
        assert max(ages) < 5, ages  # heartbeats every second; silent workers would reach 6
    finally:
        assert _post(master, "/stop", b"{}")[0] == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "[::1", "a:b:c"]
)
def test_a_foreign_host_is_421_and_changes_nothing(master: Master, host: str) -> None:
    before = _state(master)
    for method, path in (("GET", "/stats"), ("GET", "/healthz"), ("POST", "/swarm"), ("POST", "/stop")):
        body = b'{"users": 1}' if method == "POST" else None
        status, _, raw = send(master.url, method, path, body, {**JSON, "Host": host})
        error = strict_json(raw)
        assert status == 421 and error["field"] == "Host" and "--web-allow-host" in error["error"], raw
    assert _state(master) == before


def test_local_names_the_allowed_host_and_no_host_are_served(master: Master) -> None:
    port = master.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"127.9.9.9:{port}", f"[::1]:{port}",
                 f"friendly.example:{port}", "friendly.example.", None):  # fmt: skip
        status, _, raw = send(master.url, "GET", "/healthz", headers={"Host": host})
        assert status == 200, (host, raw)


def test_cross_origin_posts_are_403_same_origin_and_listed_pass(master: Master) -> None:
    port = master.url.rsplit(":", 1)[1]
    before = _state(master)
    for origin in ("http://evil.example", "null", f"http://localhost:{port}", "http://127.0.0.1:1",
                   "garbage", "http://[::1"):  # fmt: skip
        status, error = _post(master, "/stop", b"{}", {"Origin": origin})
        assert status == 403 and error["field"] == "Origin", (origin, error)
    assert send(master.url, "GET", "/stats", headers={"Origin": "http://evil.example"})[0] == 200
    for origin in (f"http://127.0.0.1:{port}", "https://friendly.example"):
        status, result = _post(master, "/reset", b"{}", {"Origin": origin})
        assert status == 200, (origin, result)
    assert _state(master) == before


# -- the pieces alone --


def _environ(method: str = "GET", host: str | None = "127.0.0.1:8089", **extra: str) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/stats", **extra}
    if host is not None:
        env["HTTP_HOST"] = host
    return env


def test_guard_follows_the_bound_address_and_the_allow_list() -> None:
    def allowed(guard: HostGuard, host: str, method: str = "GET", **extra: str) -> bool:
        try:
            guard.check(_environ(method, host, **extra))
            return True
        except HttpError as exc:
            assert exc.status in (403, 421)
            return False

    local = HostGuard("127.0.0.1")
    assert allowed(local, "127.0.0.1:8089") and allowed(local, "[::1]") and allowed(local, "localhost")
    assert not allowed(local, "10.0.0.5:8089") and not allowed(local, "me.example")
    assert not allowed(local, "localhost.evil.example") and not allowed(local, "foo.localhost")
    anywhere = HostGuard("0.0.0.0")  # any address may reach it; a name still needs listing
    assert allowed(anywhere, "10.0.0.5:8089") and allowed(anywhere, "[fe80::1]:1")
    assert not allowed(anywhere, "me.example:8089")
    named = HostGuard("me.example", [".corp.example", "[fd00::1]"])
    assert allowed(named, "me.example:8089") and allowed(named, "a.b.corp.example")
    assert allowed(named, "corp.example") and allowed(named, "[fd00::1]:9")
    assert not allowed(named, "evilcorp.example") and not allowed(named, "10.0.0.5")
    assert allowed(HostGuard("127.0.0.1", ["*"]), "any.thing", "POST", HTTP_ORIGIN="null")
    post = {"method": "POST"}
    assert allowed(local, "127.0.0.1:8089", **post, HTTP_ORIGIN="http://127.0.0.1:8089")
    assert allowed(local, "127.0.0.1", **post, HTTP_ORIGIN="http://127.0.0.1")
    assert not allowed(local, "127.0.0.1:8089", **post, HTTP_ORIGIN="http://127.0.0.1:8090")
    assert not allowed(local, "127.0.0.1:8089", **post, HTTP_ORIGIN="chrome-extension://abc")
    assert allowed(named, "me.example", **post, HTTP_ORIGIN="https://ui.corp.example")


def test_web_allow_host_comes_from_file_env_and_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fastswarm.toml").write_text('web-allow-host = ["a.example", ".b.example"]\n')
    assert _config([]).web_allow_hosts == ("a.example", ".b.example")
    monkeypatch.setenv("FASTSWARM_WEB_ALLOW_HOST", "c.example,d.example")
    assert _config([]).web_allow_hosts == ("c.example", "d.example")
    assert _config(["--web-allow-host", "e.example"]).web_allow_hosts == ("e.example",)
    monkeypatch.setenv("FASTSWARM_WEB_ALLOW_HOST", "http://x/")
    with pytest.raises(Exception, match=r"--web-allow-host \(from FASTSWARM_WEB_ALLOW_HOST\): 'http://x/'"):
        _config([])


def test_nesting_depth_is_exact_for_json_and_linear_for_garbage() -> None:
    doc = {"a": ['[\\"{', {"b": [1, "]]]\\\\"]}], 'k"[': {}}
    assert nesting_depth(json.dumps(doc).encode()) == 4
    assert nesting_depth(b'"' * 60_000) == 0 and nesting_depth(b'"\\' * 30_000) == 0
    assert nesting_depth(b"[" * 60_000) == 60_000 and nesting_depth(b"[[]]][[[") == 2

    def body(raw: bytes) -> Any:
        env = {
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": BytesIO(raw),
        }
        return read_json_body(env)

    assert body(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == json.loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    with pytest.raises(HttpError, match="nested deeper"):
        body(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    with pytest.raises(HttpError, match="Infinity is not a JSON number"):
        body(b"[Infinity]")


def test_host_urls_the_workers_can_use() -> None:
    for good in ("http://127.0.0.1:8080/", "https://[::1]:443", "http://bücher.example/api", "HTTP://x"):
        assert check_host(good) == good.rstrip("/")
    for bad in ("http://[::1", "http://[zz]/", "ftp://x", "http://x:70000", "http://x?y", "http:// x",
                "http://x\t", "http://a..b", "x" * 3000, 5):  # fmt: skip
        with pytest.raises(Exception, match="^host: "):
            check_host(bad)
    assert parse_swarm({"users": "10000000", "spawn_rate": "0.001"}, 1, 1.0).users == 10_000_000


class _Broken:
    """A session whose views raise or hold non-finite numbers, as a bug would."""

    def snapshot(self) -> dict[str, Any]:
        return {"state": "running", "left": float("inf"), "rows": [{"rps": float("nan")}]}

    @property
    def aggregator(self) -> Any:
        raise RuntimeError("boom: secret internals")


def _call(app: StatusApp, path: str) -> tuple[str, bytes]:
    got: list[str] = []
    env = _environ(PATH_INFO=path)
    env["PATH_INFO"] = path
    body = b"".join(app(env, lambda status, headers: got.append(status)))
    return got[0], body


def test_a_bug_is_a_logged_json_500_and_non_finite_numbers_become_null(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = StatusApp(_Broken())  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="fastswarm.web"):
        status, body = _call(app, "/metrics")
        assert status.startswith("500") and strict_json(body) == {
            "error": "internal error; see the master's log"
        }
        assert b"Traceback" not in body and b"boom" not in body
        status, body = _call(app, "/stats")
    assert status.startswith("200")
    assert strict_json(body) == {"state": "running", "left": None, "rows": [{"rps": None}]}
    logged = caplog.text
    assert "boom: secret internals" in logged and "Traceback" in logged
    assert "$.left is inf" in logged and "$.rows[].rps is nan" in logged
