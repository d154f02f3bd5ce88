"""Bodies over ``max_body_size`` are counted, never held: measured with tracemalloc on real sockets.

FastHttpUser's connection against ``raw_http.RawServer`` (a thread serving prebuilt responses,
so the server allocates nothing while the client reads): the most the client holds while it
reads a 10 MB body is what tracemalloc's peak says. ``HttpSession`` is checked the same way.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from fastswarm.env import Environment
from fastswarm.http.fast_conn import Connection
from fastswarm.http.fast_exchange import CHECK_AT, DROPPED
from fastswarm.http.session import HttpSession
from tests.fakes import FakeRecorder
from tests.raw_http import RawServer, response

T = TypeVar("T")
MB = 1024 * 1024
BIG = 10 * MB
LIMIT = 4 * MB


def _chunked(size: int, piece: int = 65536) -> bytes:
    chunk = b"%x\r\n%s\r\n" % (piece, b"c" * piece)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * (size // piece) + b"0\r\n\r\n"


def _peak(fn: Callable[[], T]) -> tuple[T, int]:
    """``fn()``'s result and the most memory Python held at once while it ran."""
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_body_declared_over_the_limit_is_never_held() -> None:
    declared = response(body=b"d" * BIG)
    with RawServer(lambda n, req: declared) as server:
        conn = Connection("127.0.0.1", server.port, False, False, 5.0, max_body=LIMIT)
        for _ in range(2):  # the second exchange on the kept-alive connection behaves the same
            st, peak = _peak(lambda: conn.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 10.0))
            assert st.status == 200 and st.size == BIG and st.body is DROPPED
            assert peak < CHECK_AT + MB, peak  # the first MiB, until the declared length was read
        assert server.connections == 1


def test_a_chunked_body_is_held_up_to_the_limit_then_let_go() -> None:
    chunked = _chunked(BIG)
    with RawServer(lambda n, req: chunked) as server:
        conn = Connection("127.0.0.1", server.port, False, False, 5.0, max_body=LIMIT)
        st, peak = _peak(lambda: conn.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 10.0))
        assert st.size == BIG and st.body is DROPPED
        assert LIMIT <= peak < LIMIT + 2 * MB, peak


def test_a_body_within_the_limit_is_kept_whole() -> None:
    small = response(body=b"s" * (2 * MB))
    with RawServer(lambda n, req: small) as server:
        conn = Connection("127.0.0.1", server.port, False, False, 5.0, max_body=LIMIT)
        st = conn.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 10.0)
        assert b"".join(st.body) == b"s" * (2 * MB)


def test_the_urllib3_client_counts_a_large_body_and_keeps_nothing() -> None:
    declared, chunked = response(body=b"d" * BIG), _chunked(BIG)
    with RawServer(lambda n, req: declared if n % 2 else chunked) as server:
        rec = FakeRecorder()
        options = type("Options", (), {"max_body_size": LIMIT})()
        env = Environment(recorder=rec, parsed_options=options)  # type: ignore[arg-type]
        session = HttpSession(server.url, env)
        for _ in range(2):  # Content-Length, then chunked
            r, peak = _peak(lambda: session.get("/", timeout=10.0))
            assert r.status_code == 200 and r.content == b""
            assert peak < LIMIT + 2 * MB, peak
        assert [call[3] for call in rec.calls] == [BIG, BIG]  # every byte counted
