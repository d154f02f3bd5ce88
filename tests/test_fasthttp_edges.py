"""FastHttpSession against scripted raw-socket servers: framing, closes, resets, HTTPS.

Each server answers from a script in OS threads of this process (tests/raw_http.py); the
client runs on gevent sockets, which do not block those threads.
"""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httptools
import pytest

from fastswarm.env import Environment
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.fast_conn import Connection, InvalidResponse, ServerClosed
from fastswarm.http.headers import parse_head, status_reason
from tests.fakes import FakeRecorder
from tests.raw_http import CloseAfter, RawServer, response

T = 5.0


def session(env: Environment, server: RawServer, **kw: object) -> FastHttpSession:
    return FastHttpSession(env, server.url, network_timeout=T, connection_timeout=T, **kw)  # type: ignore[arg-type]


def test_chunked_body(env: Environment, rec: FakeRecorder) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    with RawServer(lambda n, req: chunked) as server:
        client = session(env, server)
        assert client.get("/").content == b"hello world"
        assert client.get("/").content == b"hello world"
        assert server.connections == 1
    assert [c[3] for c in rec.calls] == [11, 11]


def test_body_read_to_close(env: Environment) -> None:
    # No Content-Length, no chunks: the body ends when the server closes.
    reply = CloseAfter(response(body=b"until the end", length=False))
    with RawServer(lambda n, req: reply) as server:
        client = session(env, server)
        assert client.get("/").content == b"until the end"
        assert client.get("/").content == b"until the end"
        assert server.connections == 2


def test_connection_close_header_reconnects(env: Environment, rec: FakeRecorder) -> None:
    with RawServer(lambda n, req: response(headers=("Connection: close",))) as server:
        client = session(env, server)
        for _ in range(3):
            assert client.get("/").status_code == 200
        assert server.connections == 3
    assert all(c[4] is None for c in rec.calls)


def test_idle_close_is_retried_once_for_get(env: Environment, rec: FakeRecorder) -> None:
    # The server answers, then drops the kept-alive connection without saying so.
    with RawServer(lambda n, req: response() if n % 2 else None) as server:
        client = session(env, server)
        assert client.get("/").status_code == 200  # request 1, answered
        assert client.get("/").status_code == 200  # request 2 dropped on the old socket, 3 answered
        assert server.connections == 2
    assert [c[4] for c in rec.calls] == [None, None]


def test_post_on_a_closed_idle_connection_is_sent_once(env: Environment) -> None:
    def script(n: int, req: bytes) -> bytes | None:
        return response() if n == 1 else response(body=req.split(b" ")[0])

    with RawServer(script) as server:
        client = session(env, server)
        client.get("/")
        conn = client._conn
        assert conn is not None and conn.sock is not None
        conn.sock.shutdown(1)  # half-close our side: the server sees EOF and closes
        import gevent

        gevent.sleep(0.2)
        r = client.post("/", data=b"x")
        assert r.status_code == 200 and r.content == b"POST"
        assert sum(req.startswith(b"POST") for req in server.requests) == 1


def test_closed_mid_response_is_a_failure(env: Environment, rec: FakeRecorder) -> None:
    reply = CloseAfter(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
    with RawServer(lambda n, req: reply) as server:
        r = session(env, server).get("/")
    assert r.status_code == 0 and isinstance(r.error, ServerClosed)
    assert rec.calls[0][4] == "ServerClosed: server closed the connection before the response was complete"


def test_no_response_at_all_is_a_failure(env: Environment, rec: FakeRecorder) -> None:
    with RawServer(lambda n, req: b"") as server:
        r = session(env, server).get("/")
    assert r.status_code == 0 and isinstance(r.error, ServerClosed)
    assert server.connections == 1  # a fresh connection is not retried


def test_garbage_is_an_invalid_response(env: Environment, rec: FakeRecorder) -> None:
    with RawServer(lambda n, req: b"SMTP ready\r\n\r\n") as server:
        r = session(env, server).get("/")
    assert isinstance(r.error, InvalidResponse)
    assert (rec.calls[0][4] or "").startswith("InvalidResponse: invalid HTTP response from 127.0.0.1:")


def test_head_with_length_and_no_body_keeps_the_connection(env: Environment) -> None:
    def script(n: int, req: bytes) -> bytes:
        if req.startswith(b"HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
        return response(body=b"after head")

    with RawServer(script) as server:
        client = session(env, server)
        r = client.head("/")
        assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "1000")
        assert client.get("/").content == b"after head"
        assert server.connections == 1


def test_204_and_304_without_length(env: Environment) -> None:
    codes = iter(["204 No Content", "304 Not Modified", "200 OK"])
    with RawServer(lambda n, req: f"HTTP/1.1 {next(codes)}\r\n\r\n".encode()) as server:
        client = session(env, server)
        assert [client.get("/").status_code for _ in range(2)] == [204, 304]
        assert server.connections == 1


def test_gzip_body_is_decoded(env: Environment, rec: FakeRecorder) -> None:
    packed = gzip.compress(b'{"zipped": true}')
    reply = response(body=packed, headers=("Content-Encoding: gzip", "Content-Type: application/json"))
    with RawServer(lambda n, req: reply) as server:
        r = session(env, server).get("/")
    assert r.json() == {"zipped": True}
    assert b"accept-encoding: gzip" in server.requests[0].lower()


def test_requests_are_well_formed(env: Environment) -> None:
    with RawServer(lambda n, req: response()) as server:
        client = session(env, server)
        client.get("/a b?x=1")
        client.post("/p", json={"a": 1}, headers={"X-One": "1"})
        client.post("/empty")
    get, post, empty = server.requests
    assert get.startswith(b"GET /a%20b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nContent-Length: 8\r\n" in post and post.endswith(b'\r\n\r\n{"a": 1}')
    assert b"\r\nX-One: 1\r\n" in post and b"content-type: application/json" in post.lower()
    assert b"\r\nContent-Length: 0\r\n" in empty


# -- HTTPS --


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line tool makes the test certificate")
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, crt


@pytest.fixture
def tls_server(cert: tuple[Path, Path]) -> Iterator[RawServer]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert[1]), str(cert[0]))
    with RawServer(lambda n, req: response(body=b"secret"), ssl_context=ctx) as server:
        yield server


def test_https_verifies_by_default(env: Environment, rec: FakeRecorder, tls_server: RawServer) -> None:
    r = session(env, tls_server).get("/")
    assert r.status_code == 0 and isinstance(r.error, ssl.SSLError)
    assert "CERTIFICATE_VERIFY_FAILED" in (rec.calls[0][4] or "")


def test_https_insecure_opts_out(env: Environment, rec: FakeRecorder, tls_server: RawServer) -> None:
    client = session(env, tls_server, insecure=True)
    assert [client.get("/").content for _ in range(3)] == [b"secret"] * 3
    assert tls_server.connections == 1 and rec.calls[0][4] is None


def test_a_deadline_ends_with_its_exchange(env: Environment, rec: FakeRecorder) -> None:
    import gevent

    def script(n: int, req: bytes) -> bytes:
        if b"/slow" in req:
            time.sleep(1.0)  # this runs in an OS thread of the server
        return response()

    with RawServer(script) as server:
        client = FastHttpSession(env, server.url, network_timeout=0.3)
        assert client.get("/fast").status_code == 200
        gevent.sleep(0.5)  # well past the first exchange's deadline: nothing may fire now
        r = client.get("/slow")
        assert r.status_code == 0 and "no complete response within 0.3 s" in (rec.calls[-1][4] or "")
        assert client.get("/fast").status_code == 200


def test_headers_and_reason_parsed_from_the_raw_head(env: Environment) -> None:
    head = (
        "x-One:  a ",
        "X-Multi: 1",
        "x-multi: 2",
        "Set-Cookie: s=1; Path=/",
        "SET-COOKIE: t=2",
        "Content-Encoding: identity",
    )
    with RawServer(lambda n, req: response("404 Not Found Here", headers=head)) as server:
        client = session(env, server)
        r = client.get("/")
        assert (r.status_code, r.reason, r.content) == (404, "Not Found Here", b"ok")
        assert r.headers["X-ONE"] == "a" and r.headers["x-multi"] == "1, 2"
        assert r.headers.getlist("set-cookie") == ["s=1; Path=/", "t=2"]  # type: ignore[attr-defined]
        assert len(r.headers) == 5 and "content-length" in r.headers
        assert dict(client.cookies) == {"s": "1", "t": "2"}
        client.get("/")
        assert b"Cookie: s=1; t=2\r\n" in server.requests[-1]


def test_a_head_split_over_reads_and_obsolete_folding() -> None:
    pieces = [b"HTTP/1.1 200 OK\r\nA: 1\r\nB: x", b"y\r\nContent-Len", b"gth: 3\r\n\r\nabc"]

    class Chunks:
        def send(self, data: bytes) -> int:
            return len(data)

        def recv(self, n: int) -> bytes:
            return pieces.pop(0)

        def close(self) -> None:
            pass

    conn = Connection("127.0.0.1", 80, False, False, None)
    conn.sock = Chunks()  # an open connection: reads come in the pieces above
    conn.parser = conn.state.parser = httptools.HttpResponseParser(conn.state)
    st = conn.exchange(b"GET / HTTP/1.1\r\n\r\n", "GET", None)
    assert (st.status, b"".join(st.body)) == (200, b"abc")
    assert parse_head(st.raw) == {"a": ["1"], "b": ["xy"], "content-length": ["3"]}
    assert parse_head(b"HTTP/1.1 200 OK\nA: 1\n  more\nB:2\n\nbody") == {"a": ["1 more"], "b": ["2"]}
    assert (status_reason(b"HTTP/1.1 200\r\n\r\n"), status_reason(b"")) == ("", "")
