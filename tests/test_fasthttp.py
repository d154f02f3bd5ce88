"""FastHttpSession / FastHttpUser against the built-in target in a subprocess.

The client runs on gevent sockets in this (unpatched) process; the target is its own
process, so neither has to yield to the other. Edge cases the target cannot produce are in
test_fasthttp_edges.py, against scripted raw-socket servers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastswarm.env import Environment
from fastswarm.exceptions import ConfigError, ResponseError
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.response import ReadTimeout, ResponseContextManager
from fastswarm.stats.recorder import Recorder
from tests.conftest import Target, run_fastswarm
from tests.fakes import FakeRecorder
from tests.test_http_client import closed_port

T = 5.0


@pytest.fixture
def client(target: Target, env: Environment) -> Iterator[FastHttpSession]:
    session = FastHttpSession(env, target.url, network_timeout=T, connection_timeout=T)
    yield session
    session.close()


def test_get_records_once(client: FastHttpSession, rec: FakeRecorder) -> None:
    r = client.get("/")
    assert (r.status_code, r.ok, r.reason, r.content, r.text) == (200, True, "OK", b"ok", "ok")
    assert r.headers["CONTENT-TYPE"].startswith("text/plain") and "content-length" in r.headers
    assert r.url.endswith("/") and r.request_method == "GET" and r.elapsed > 0
    assert len(rec.calls) == 1
    method, name, us, length, error = rec.calls[0]
    assert (method, name, length, error) == ("GET", "/", 2, None) and us >= 1


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method(client: FastHttpSession, rec: FakeRecorder, method: str) -> None:
    r = client.request(method.lower(), "/anything")
    assert r.status_code == 200 and r.json()["method"] == method
    assert rec.calls[0][:2] == (method, "/anything")


def test_params_headers_json_data(client: FastHttpSession) -> None:
    r = client.get("/anything", params={"q": "a b", "n": 1}, headers={"X-Test": "yes"})
    body = r.json()
    assert body["args"] == {"q": "a b", "n": "1"} and body["headers"]["X-Test"] == "yes"
    r = client.post("/anything", json={"k": [1, 2]})
    assert r.json()["json"] == {"k": [1, 2]} and r.json()["headers"]["Content-Type"] == "application/json"
    r = client.post("/anything", data={"a": "1"})
    assert r.json()["data"] == "a=1"
    r = client.put("/anything", data=b"raw bytes")
    assert r.json()["data"] == "raw bytes" and r.json()["headers"]["Content-Length"] == "9"


def test_session_headers_override_and_removal(client: FastHttpSession) -> None:
    client.headers["X-Session"] = "s"
    sent = client.get("/anything").json()["headers"]
    assert sent["X-Session"] == "s" and sent["User-Agent"] == "fastswarm"
    sent = client.get("/anything", headers={"User-Agent": "other", "X-Session": None}).json()["headers"]
    assert sent["User-Agent"] == "other" and "X-Session" not in sent
    del client.headers["X-Session"]
    assert "X-Session" not in client.get("/anything").json()["headers"]


def test_basic_auth(client: FastHttpSession) -> None:
    sent = client.get("/anything", auth=("u", "p")).json()["headers"]
    assert sent["Authorization"] == "Basic dTpw"


def test_stats_name(client: FastHttpSession, rec: FakeRecorder, target: Target) -> None:
    client.get("/bytes/3", name="/bytes/{n}")
    client.get("/anything?x=1")
    with client.rename_request("renamed"):
        client.get("/")
    client.get(target.url + "/bytes/4?y=2")
    assert [c[1] for c in rec.calls] == ["/bytes/{n}", "/anything?x=1", "renamed", "/bytes/4?y=2"]
    assert rec.calls[0][3] == 3


def test_keep_alive_reuses_one_connection(client: FastHttpSession) -> None:
    client.get("/")
    sock = client._conn.sock if client._conn else None
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert sock is not None and client._conn is not None and client._conn.sock is sock


@pytest.mark.parametrize(("code", "text"), [(404, "HTTPError 404: NOT FOUND"), (500, None)])
def test_status_failures(client: FastHttpSession, rec: FakeRecorder, code: int, text: str | None) -> None:
    r = client.get(f"/status/{code}")
    assert r.status_code == code and not r.ok
    error = rec.calls[0][4]
    assert error is not None and error.startswith(f"HTTPError {code}")
    if text:
        assert error == text
    with pytest.raises(ResponseError):
        r.raise_for_status()


def test_204_and_304_have_no_body(client: FastHttpSession, rec: FakeRecorder) -> None:
    assert (client.get("/status/204").status_code, client.get("/status/304").status_code) == (204, 304)
    assert client.get("/").content == b"ok"
    assert [c[3:] for c in rec.calls] == [(0, None), (0, None), (2, None)]


def test_head(client: FastHttpSession, rec: FakeRecorder) -> None:
    r = client.head("/bytes/100")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == "100"
    assert client.get("/bytes/5").content == b"xxxxx"


def test_redirects(client: FastHttpSession, rec: FakeRecorder) -> None:
    r = client.get("/redirect/3")
    assert r.status_code == 200 and r.url.endswith("/") and r.text == "ok"
    r = client.get("/redirect/2", allow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/redirect/1"
    client.max_redirects = 2
    r = client.get("/redirect/5")
    assert r.status_code == 0 and "TooManyRedirects" in (rec.calls[-1][4] or "")
    assert [c[1] for c in rec.calls] == ["/redirect/3", "/redirect/2", "/redirect/5"]


def test_cookies_kept_per_session(target: Target, env: Environment) -> None:
    a = FastHttpSession(env, target.url)
    b = FastHttpSession(env, target.url)
    a.get("/set-cookie?flavour=oat")
    assert a.cookies == {"flavour": "oat"} and b.cookies == {}
    assert a.get("/cookies").json() == {"flavour": "oat"}
    assert b.get("/cookies").json() == {}
    assert a.get("/cookies", cookies={"extra": "1"}).json() == {"flavour": "oat", "extra": "1"}
    a.get("/delete-cookie?flavour")
    assert a.cookies == {}
    b.get("/set-cookie?id=7&next=/cookies")  # set by a redirect, sent on to its target
    assert b.cookies == {"id": "7"}


def test_connection_refused(env: Environment, rec: FakeRecorder) -> None:
    port = closed_port()
    r = FastHttpSession(env, f"http://127.0.0.1:{port}").get("/")
    assert r.status_code == 0 and isinstance(r.error, ConnectionRefusedError)
    assert rec.calls[0][4] == f"ConnectionRefusedError: [Errno 111] connection to 127.0.0.1:{port} refused"


def test_read_timeout(client: FastHttpSession, rec: FakeRecorder) -> None:
    r = client.get("/delay/3000", timeout=0.2)
    assert r.status_code == 0 and isinstance(r.error, ReadTimeout)
    assert rec.calls[0][4] == "ReadTimeout: no complete response within 0.2 s"
    assert client.get("/").status_code == 200  # a fresh connection after the timed-out one


def test_catch_response(client: FastHttpSession, rec: FakeRecorder) -> None:
    with client.get("/status/404", catch_response=True) as r:
        assert isinstance(r, ResponseContextManager) and rec.calls == []
        r.success()
    with client.get("/", catch_response=True) as r:
        r.failure("body was wrong")
    with client.get("/", catch_response=True) as r:
        raise ResponseError("not what I wanted")
    assert [c[4] for c in rec.calls] == [None, "body was wrong", "not what I wanted"]


def test_event_listeners_get_locust_kwargs(client: FastHttpSession, env: Environment) -> None:
    seen: list[dict[str, Any]] = []
    env.events.request.listeners.append(lambda **kw: seen.append(kw))  # type: ignore[attr-defined]
    client.get("/", name="home", context={"k": 1})
    client.get("/status/500")
    assert seen[0]["name"] == "home" and seen[0]["exception"] is None and seen[0]["context"] == {"k": 1}
    assert seen[0]["response"].status_code == 200 and seen[0]["response_time"] > 0
    assert isinstance(seen[1]["exception"], ResponseError)


def test_with_the_real_recorder(target: Target) -> None:
    recorder = Recorder()
    env = Environment(recorder=recorder)
    client = FastHttpSession(env, target.url)
    for _ in range(3):
        client.get("/")
    client.get("/status/503")
    entries = {(e.method, e.name): e for e in recorder.take_interval().entries}
    assert entries[("GET", "/")].requests == 3 and entries[("GET", "/status/503")].failures == 1


def test_bad_base_url_is_a_config_error(env: Environment) -> None:
    from fastswarm.http.fast_users import FastHttpUser

    class U(FastHttpUser):
        host = "ftp://example"

    with pytest.raises(ConfigError, match="http"):
        U(env)


def test_public_import_paths() -> None:
    import fastswarm
    from fastswarm.contrib.fasthttp import FastHttpUser
    from fastswarm.http.fast_users import FastHttpUser as Direct

    assert FastHttpUser is Direct is fastswarm.FastHttpUser


TASKS = """
from fastswarm import constant, task
from fastswarm.contrib.fasthttp import FastHttpUser

class Quick(FastHttpUser):
    wait_time = constant(0.01)

    @task
    def home(self):
        self.client.get("/")

    @task
    def item(self):
        with self.client.get("/status/404", name="/missing", catch_response=True) as r:
            r.success()
"""


def test_fasthttpuser_end_to_end(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "4", "-r", "50", "-t", "2s", "--processes", "1",
        "--stop-timeout", "5", "--json", "report.json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["totals"]["requests"] == target.served() > 20
    assert report["totals"]["failures"] == 0
    assert {e["name"] for e in report["endpoints"]} == {"/", "/missing"}
