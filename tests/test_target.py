"""The built-in target: its routes over real HTTP (a subprocess), its WSGI app called directly,
and its stalls."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from fastswarm.target.app import TargetApp, make_app, start_in_background
from tests.conftest import Target, start_target

T = 5.0


def call(
    target: Target, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPResponse, bytes]:
    """One request on a fresh connection, no redirects followed."""
    url = urlsplit(target.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=T)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp, resp.read()
    finally:
        conn.close()


# -- routes over HTTP --


def test_root_bytes_delay_status(target: Target) -> None:
    assert call(target, "GET", "/")[::2] == (200, b"ok")
    assert call(target, "GET", "/bytes/1000")[2] == b"x" * 1000
    assert call(target, "GET", "/bytes/0")[::2] == (200, b"")
    t0 = time.perf_counter()
    assert call(target, "GET", "/delay/150")[0] == 200
    assert 0.15 <= time.perf_counter() - t0 < 2.0
    for code in (200, 201, 204, 302, 400, 404, 418, 500, 503):
        status, resp, _ = call(target, "GET", f"/status/{code}")
        assert status == code
    assert call(target, "GET", "/status/404")[1].reason == "NOT FOUND"
    for path in ("/nope", "/bytes/x", "/delay/-1", "/status/99", "/jobs/abc", "/__nope"):
        assert call(target, "GET", path)[0] == 404, path


def test_head_sends_no_body(target: Target) -> None:
    url = urlsplit(target.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=T)
    conn.request("HEAD", "/bytes/50")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == "50" and resp.read() == b""
    conn.request("GET", "/")  # the same kept-alive connection is still in step
    assert conn.getresponse().read() == b"ok"
    conn.close()


def test_kept_alive_requests_are_not_held_by_nagle(target: Target) -> None:
    url = urlsplit(target.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=T)
    t0 = time.perf_counter()
    for _ in range(50):  # with Nagle on, each would wait ~40 ms for a delayed ACK
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"ok"
    conn.close()
    assert time.perf_counter() - t0 < 1.0


def test_echo(target: Target) -> None:
    body = json.dumps({"a": [1, "x"]}).encode()
    status, resp, got = call(target, "POST", "/echo", body, {"Content-Type": "application/json"})
    assert status == 200 and json.loads(got) == {"a": [1, "x"]}
    assert resp.getheader("Content-Type") == "application/json"
    assert call(target, "POST", "/echo", b"{not json")[0] == 400
    assert call(target, "GET", "/echo")[0] == 405


def test_cookies_and_redirects(target: Target) -> None:
    status, resp, got = call(target, "GET", "/set-cookie?a=1&b=2")
    assert status == 200 and json.loads(got) == {"a": "1", "b": "2"}
    assert resp.headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert json.loads(call(target, "GET", "/cookies", headers={"Cookie": "a=1; c=3"})[2]) == {
        "a": "1",
        "c": "3",
    }
    status, resp, _ = call(target, "GET", "/set-cookie?a=1&next=/cookies")
    assert status == 302 and resp.getheader("Location") == "/cookies"
    status, resp, _ = call(target, "GET", "/delete-cookie?a")
    assert resp.getheader("Set-Cookie") == "a=; Max-Age=0; Path=/"
    status, resp, _ = call(target, "GET", "/redirect/2")
    assert status == 302 and resp.getheader("Location") == "/redirect/1"
    assert call(target, "GET", "/redirect/1")[1].getheader("Location") == "/"


def test_anything_describes_the_request(target: Target) -> None:
    _, _, got = call(target, "PUT", "/anything/p?x=1", b'{"k": 2}', {"X-A": "b"})
    seen = json.loads(got)
    assert (seen["method"], seen["path"], seen["args"], seen["json"]) == (
        "PUT",
        "/anything/p",
        {"x": "1"},
        {"k": 2},
    )
    assert seen["headers"]["X-A"] == "b"


def test_jobs(target: Target) -> None:
    status, _, got = call(target, "POST", "/jobs?delay_ms=200")
    job = json.loads(got)
    assert status == 201 and job["status"] == "PENDING" and isinstance(job["id"], int)
    _, _, got = call(target, "POST", "/jobs", json.dumps({"delay_ms": 0}).encode())
    instant = json.loads(got)
    assert instant["id"] != job["id"]
    assert json.loads(call(target, "GET", f"/jobs/{instant['id']}")[2])["status"] == "ACTIVE"
    assert json.loads(call(target, "GET", f"/jobs/{job['id']}")[2]) == {"id": job["id"], "status": "PENDING"}
    time.sleep(0.25)
    assert json.loads(call(target, "GET", f"/jobs/{job['id']}")[2])["status"] == "ACTIVE"
    _, _, got = call(target, "POST", "/jobs")
    default = json.loads(got)  # 500 ms by default
    assert json.loads(call(target, "GET", f"/jobs/{default['id']}")[2])["status"] == "PENDING"
    assert call(target, "GET", "/jobs/999999")[0] == 404
    assert call(target, "POST", "/jobs?delay_ms=x")[0] == 400
    assert call(target, "POST", "/jobs", b"{bad")[0] == 400
    assert call(target, "GET", "/jobs")[0] == 405
    assert call(target, "DELETE", f"/jobs/{job['id']}")[0] == 405


def test_stats_counts_requests_but_not_itself(target: Target) -> None:
    target.reset()
    assert target.served() == 0
    for path in ("/", "/bytes/1", "/nope", "/status/500"):
        call(target, "GET", path)
    assert target.served() == 4 and target.served() == 4
    assert call(target, "GET", "/__reset")[0] == 404  # reset is POST only
    target.reset()
    assert target.served() == 0


# -- stalls --


@pytest.fixture
def stalling() -> Iterator[Target]:
    server = start_target("--stall-every", "1.0", "--stall-for", "0.4")
    yield server
    server.process.kill()
    server.process.wait(timeout=5)


def test_stall_holds_requests(stalling: Target) -> None:
    url = urlsplit(stalling.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=T)
    latencies = []
    deadline = time.monotonic() + 2.3  # spans the first stall (1.0 s .. 1.4 s after start)
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        conn.request("GET", "/")
        conn.getresponse().read()
        latencies.append(time.perf_counter() - t0)
    conn.close()
    slow = [x for x in latencies if x > 0.1]
    assert 1 <= len(slow) <= 3 and max(latencies) > 0.2
    assert statistics.median(latencies) < 0.02


def test_stall_schedule() -> None:
    app = TargetApp(stall_every=1.0, stall_for=0.25)
    epoch = app._epoch
    assert app.stall_remaining(epoch + 0.1) == 0  # no stall before the first period ends
    assert app.stall_remaining(epoch + 0.9) == 0
    assert app.stall_remaining(epoch + 1.05) == pytest.approx(0.2)
    assert app.stall_remaining(epoch + 1.3) == 0
    assert app.stall_remaining(epoch + 5.2) == pytest.approx(0.05)
    assert TargetApp().stall_remaining(epoch + 1.0) == 0
    with pytest.raises(ValueError):
        TargetApp(stall_every=1.0, stall_for=1.0)
    with pytest.raises(ValueError):
        TargetApp(stall_every=-1.0)


# -- the WSGI app called directly, and the in-process server --


def wsgi(app: Any, method: str, path: str, query: str = "") -> tuple[str, bytes]:
    got: list[str] = []
    body = app(
        {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}, lambda s, h: got.append(s)
    )
    return got[0], b"".join(body)


def test_wsgi_app_direct() -> None:
    app = make_app()
    assert wsgi(app, "GET", "/") == ("200 OK", b"ok")
    assert wsgi(app, "HEAD", "/bytes/10") == ("200 OK", b"")
    assert wsgi(app, "GET", "/status/503")[0] == "503 SERVICE UNAVAILABLE"
    assert wsgi(app, "GET", "/missing")[0] == "404 NOT FOUND"
    assert app.requests == 4
    assert json.loads(wsgi(app, "GET", "/__stats")[1]) == {
        "requests": 4, "delay_count": 0, "delay_actual_p50_ms": None
    }
    wsgi(app, "GET", "/delay/5")
    stats = json.loads(wsgi(app, "GET", "/__stats")[1])
    assert stats["delay_count"] == 1 and stats["delay_actual_p50_ms"] >= 5.0
    wsgi(app, "POST", "/__reset")
    assert app.requests == 0 and app.delays_us == []


def test_start_in_background() -> None:
    import gevent
    from gevent import socket as gsocket

    server, port = start_in_background("127.0.0.1", 0)
    try:
        assert port > 0

        def fetch() -> bytes:
            sock = gsocket.create_connection(("127.0.0.1", port), timeout=T)
            sock.sendall(b"GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            sock.close()
            return data

        reply = gevent.spawn(fetch).get(timeout=T)
        assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"\r\n\r\nxxxxx")
    finally:
        server.stop(timeout=1)
