"""HttpSession, Response and catch_response against the built-in target in a subprocess.

The client here is plain urllib3 in an unpatched process, and the target runs in its own
process (conftest's ``target``), so neither has to yield to the other.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from fastswarm.env import Environment
from fastswarm.exceptions import CatchResponseError, ConfigError, FastswarmError, ResponseError, StopUser
from fastswarm.http.response import ReadTimeout, Response, ResponseContextManager
from fastswarm.http.session import HttpSession
from tests.fakes import FakeRecorder

T = 5.0  # every request in these tests is bounded by this many seconds


@pytest.fixture
def client(target: Any, env: Environment) -> Iterator[HttpSession]:
    session = HttpSession(target.url, env)
    yield session
    session.close()


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- requests and what they record --


def test_get_records_once(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.get("/", timeout=T)
    assert (r.status_code, r.ok, r.reason, r.content, r.text) == (200, True, "OK", b"ok", "ok")
    assert r.url == client.base_url + "/" and r.request_method == "GET" and r.error is None
    assert 0 < r.elapsed < T
    [(method, name, us, length, error)] = rec.calls
    assert (method, name, length, error) == ("GET", "/", 2, None)
    assert us == int(r.elapsed * 1e6)


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_every_method(client: HttpSession, rec: FakeRecorder, method: str) -> None:
    r = getattr(client, method)("/anything/x", timeout=T)
    assert r.status_code == 200 and r.json()["method"] == method.upper()
    assert rec.calls[0][:2] == (method.upper(), "/anything/x")


def test_request_method_is_upper_cased(client: HttpSession, rec: FakeRecorder) -> None:
    client.request("get", "/", timeout=T)
    assert rec.calls[0][0] == "GET"


def test_head_has_no_body_and_keeps_connection_usable(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.head("/bytes/100", timeout=T)
    assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == "100"
    assert client.get("/bytes/3", timeout=T).content == b"xxx"
    assert [c[:2] + c[3:] for c in rec.calls] == [
        ("HEAD", "/bytes/100", 0, None),
        ("GET", "/bytes/3", 3, None),
    ]


def test_params_headers_json_data(client: HttpSession) -> None:
    seen = client.get(
        "/anything", params={"q": "a b", "n": [1, 2]}, headers={"X-Test": "1"}, timeout=T
    ).json()
    assert seen["args"] == {"q": "a b", "n": "2"} and seen["headers"]["X-Test"] == "1"
    seen = client.post("/anything", json={"k": [1, 2]}, timeout=T).json()
    assert seen["json"] == {"k": [1, 2]} and seen["headers"]["Content-Type"] == "application/json"
    seen = client.post("/anything", data={"a": "1", "b": "x y"}, timeout=T).json()
    assert seen["data"] == "a=1&b=x+y"
    assert seen["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert client.put("/anything", data="raw text", timeout=T).json()["data"] == "raw text"
    assert client.patch("/anything", data=b"\x00\x01", timeout=T).json()["headers"]["Content-Length"] == "2"


def test_session_headers_and_removal(client: HttpSession) -> None:
    client.headers["X-Session"] = "s"
    seen = client.get("/anything", headers={"user-agent": "mine", "Accept": None}, timeout=T).json()[
        "headers"
    ]
    assert seen["X-Session"] == "s" and seen["User-Agent"] == "mine" and "Accept" not in seen
    assert client.get("/anything", timeout=T).json()["headers"]["User-Agent"] == "fastswarm"


def test_basic_auth(client: HttpSession) -> None:
    seen = client.get("/anything", auth=("u", "p"), timeout=T).json()["headers"]
    assert seen["Authorization"] == "Basic dTpw"


def test_files_upload(client: HttpSession) -> None:
    seen = client.post("/anything", files={"f": ("a.txt", b"hello")}, data={"k": "v"}, timeout=T).json()
    assert seen["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert 'filename="a.txt"' in seen["data"] and "hello" in seen["data"] and 'name="k"' in seen["data"]


def test_relative_and_absolute_urls(target: Any, env: Environment, rec: FakeRecorder) -> None:
    session = HttpSession(target.url + "/", env)  # a trailing slash on the host is tolerated
    assert session.get("/anything/a", timeout=T).json()["path"] == "/anything/a"
    assert session.get("anything/b", timeout=T).json()["path"] == "/anything/b"
    r = session.get(target.url + "/anything/c?x=1", timeout=T)
    assert r.json()["path"] == "/anything/c" and r.url == target.url + "/anything/c?x=1"
    other = HttpSession("http://127.0.0.1:1", env)  # absolute URLs ignore the base entirely
    assert other.get(target.url + "/", timeout=T).status_code == 200
    assert [c[1] for c in rec.calls] == ["/anything/a", "anything/b", "/anything/c?x=1", "/"]


def test_stats_name(client: HttpSession, rec: FakeRecorder) -> None:
    client.get("/bytes/1", name="/bytes/[n]", timeout=T)
    client.get("/bytes/2", name="/bytes/[n]", timeout=T)
    client.get("/anything", params={"a": "1"}, timeout=T)
    with client.rename_request("renamed"):
        client.get("/bytes/3", timeout=T)
    client.get("/bytes/4", timeout=T)
    assert [c[1] for c in rec.calls] == ["/bytes/[n]", "/bytes/[n]", "/anything?a=1", "renamed", "/bytes/4"]
    assert [c[3] for c in rec.calls] == [1, 2, rec.calls[2][3], 3, 4]


def test_keep_alive_reuses_one_connection(client: HttpSession) -> None:
    for _ in range(20):
        client.get("/", timeout=T)
    pool = client._pool.connection_from_url(client.base_url)
    assert pool.num_connections == 1 and pool.num_requests == 20


# -- failures --


@pytest.mark.parametrize(
    ("code", "text"), [(404, "HTTPError 404: NOT FOUND"), (500, "HTTPError 500: INTERNAL SERVER ERROR")]
)
def test_status_failures(client: HttpSession, rec: FakeRecorder, code: int, text: str) -> None:
    r = client.get(f"/status/{code}", timeout=T)
    assert r.status_code == code and not r.ok and r.error is None
    assert rec.calls[0][4] == text
    kind = "Client" if code < 500 else "Server"
    with pytest.raises(ResponseError, match=f"^{code} {kind} Error: .* for url: {r.url}$"):
        r.raise_for_status()


def test_status_below_400_is_success(client: HttpSession, rec: FakeRecorder) -> None:
    client.get("/status/204", timeout=T)
    client.get("/redirect/1", allow_redirects=False, timeout=T)
    assert [c[4] for c in rec.calls] == [None, None]


def test_connection_refused(env: Environment, rec: FakeRecorder) -> None:
    port = closed_port()
    session = HttpSession(f"http://127.0.0.1:{port}", env)
    r = session.get("/x", timeout=T)
    assert r.status_code == 0 and not r.ok and isinstance(r.error, ConnectionRefusedError)
    # The same words as FastHttpUser's, so one cause reads alike from either client.
    text = f"ConnectionRefusedError: [Errno 111] connection to 127.0.0.1:{port} refused"
    assert rec.calls == [("GET", "/x", rec.calls[0][2], 0, text)]
    with pytest.raises(ConnectionRefusedError):
        r.raise_for_status()


def test_read_timeout(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.get("/delay/3000", timeout=0.3)
    assert isinstance(r.error, ReadTimeout) and r.status_code == 0
    # Unpatched, the watchdog cannot interrupt a read, so each read is timed (the whole-request
    # deadline of a real, gevent-patched run is tested in test_outcomes.py).
    assert rec.calls[0][4] == "ReadTimeout: read timed out after 0.3 s"
    assert 0.25 < r.elapsed < 2.0
    assert client.get("/", timeout=T).status_code == 200  # the session recovers


def test_connect_timeout_tuple_allows_slow_read(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.get("/delay/200", timeout=(1.0, 2.0))
    assert r.error is None and r.status_code == 200, r.error  # a read of 0.2 s fits the 2 s read timeout
    assert r.elapsed >= 0.2 and rec.calls[-1][4] is None


def test_event_listeners_get_locust_kwargs(client: HttpSession, env: Environment, rec: FakeRecorder) -> None:
    seen: list[dict[str, Any]] = []
    env.events.request.listeners.append(lambda **kw: seen.append(kw))
    r = client.get("/status/404", name="nf", timeout=T, context={"k": 1})
    [kw] = seen
    assert set(kw) == {
        "request_type", "name", "response_time", "response_length", "exception",
        "context", "response", "url", "start_time",
    }  # fmt: skip
    assert (kw["request_type"], kw["name"], kw["response_length"], kw["context"]) == (
        "GET",
        "nf",
        13,
        {"k": 1},
    )
    assert kw["response"] is r and kw["url"] == r.url and isinstance(kw["exception"], ResponseError)
    assert kw["response_time"] == pytest.approx(r.elapsed * 1000)
    assert len(rec.calls) == 1


# -- catch_response --


def test_catch_response_records_on_exit_only(client: HttpSession, rec: FakeRecorder) -> None:
    with client.get("/", catch_response=True, timeout=T) as r:
        assert isinstance(r, ResponseContextManager) and isinstance(r, Response)
        assert r.text == "ok" and rec.calls == []
    assert [c[4] for c in rec.calls] == [None]


def test_catch_response_default_outcomes(client: HttpSession, rec: FakeRecorder, env: Environment) -> None:
    with client.get("/status/404", catch_response=True, timeout=T):
        pass
    port = closed_port()
    with client.get(f"http://127.0.0.1:{port}/", catch_response=True, timeout=T) as r:
        assert r.status_code == 0
    assert [c[4] for c in rec.calls] == [
        "HTTPError 404: NOT FOUND",
        f"ConnectionRefusedError: [Errno 111] connection to 127.0.0.1:{port} refused",
    ]


def test_catch_response_success_and_failure(client: HttpSession, rec: FakeRecorder) -> None:
    with client.get("/status/500", catch_response=True, timeout=T) as r:
        r.success()
    with client.get("/", catch_response=True, timeout=T) as r:
        if r.text != "expected":
            r.failure("Got wrong response")
    with client.get("/", catch_response=True, timeout=T) as r:
        r.failure("first")
        r.success()  # the last call wins
    with client.get("/", catch_response=True, timeout=T) as r:
        r.failure(ValueError("bad value"))
    assert [c[4] for c in rec.calls] == [None, "Got wrong response", None, "ValueError: bad value"]


def test_catch_response_failure_reaches_listeners(client: HttpSession, env: Environment) -> None:
    seen: list[Any] = []
    env.events.request.listeners.append(lambda **kw: seen.append(kw["exception"]))
    with client.get("/", catch_response=True, timeout=T) as r:
        r.failure("nope")
    assert isinstance(seen[0], CatchResponseError) and str(seen[0]) == "nope"


def test_catch_response_exceptions(client: HttpSession, rec: FakeRecorder) -> None:
    """Locust's rule (tests/test_rest.py checks it for both clients): only a ResponseError, or an
    outcome set before the exception, records the request."""
    with client.get("/", catch_response=True, timeout=T):
        raise ResponseError("judged bad")  # swallowed, recorded as a failure (Locust's idiom)
    with pytest.raises(KeyError):
        with client.get("/", catch_response=True, timeout=T):
            raise KeyError("missing")  # the task's error, not the request's: not recorded
    with pytest.raises(StopUser):
        with client.get("/status/404", catch_response=True, timeout=T):
            raise StopUser()
    with pytest.raises(StopUser):
        with client.get("/", catch_response=True, timeout=T) as r:
            r.success()
            raise StopUser()
    assert [c[4] for c in rec.calls] == ["judged bad", None]


def test_catch_response_needs_with_block(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.get("/", catch_response=True, timeout=T)
    with pytest.raises(FastswarmError, match="with-block"):
        r.success()  # type: ignore[attr-defined]
    assert rec.calls == []


# -- cookies and redirects --


def test_cookies_kept_per_session(target: Any, env: Environment) -> None:
    a, b = HttpSession(target.url, env), HttpSession(target.url, env)
    assert a.get("/set-cookie?sid=abc&x=1", timeout=T).cookies == {"sid": "abc", "x": "1"}
    b.get("/set-cookie?sid=other", timeout=T)
    assert a.cookies == {"sid": "abc", "x": "1"} and a.cookies.get_dict() == {"sid": "abc", "x": "1"}
    assert a.get("/cookies", timeout=T).json() == {"sid": "abc", "x": "1"}
    assert b.get("/cookies", timeout=T).json() == {"sid": "other"}
    a.get("/delete-cookie?x", timeout=T)
    assert a.get("/cookies", timeout=T).json() == {"sid": "abc"}
    assert a.get("/cookies", cookies={"extra": "1"}, timeout=T).json() == {"sid": "abc", "extra": "1"}
    assert a.cookies == {"sid": "abc"}  # per-request cookies are not kept
    a.cookies.clear()
    assert a.get("/cookies", timeout=T).json() == {}


def test_cookie_set_by_a_redirect_is_sent_on(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.post("/set-cookie?token=t1&next=/cookies", timeout=T)
    assert r.status_code == 200 and r.json() == {"token": "t1"} and r.url.endswith("/cookies")
    assert rec.calls[0][:2] == ("POST", "/set-cookie?token=t1&next=/cookies")


def test_redirects(client: HttpSession, rec: FakeRecorder) -> None:
    r = client.get("/redirect/3", timeout=T)
    assert (r.status_code, r.text, r.url) == (200, "ok", client.base_url + "/")
    r = client.get("/redirect/3", allow_redirects=False, timeout=T)
    assert r.status_code == 302 and r.headers["Location"] == "/redirect/2"
    assert client.head("/redirect/1", timeout=T).status_code == 302
    assert client.head("/redirect/1", allow_redirects=True, timeout=T).status_code == 200
    r = client.get("/redirect/40", timeout=T)
    assert r.status_code == 0 and rec.calls[-1][4] == "TooManyRedirects: Exceeded 30 redirects."
    assert [c[1] for c in rec.calls[:2]] == ["/redirect/3", "/redirect/3"]


# -- the Response wrapper on its own --


def test_response_wrapper() -> None:
    import urllib3

    headers = urllib3.HTTPHeaderDict({"Content-Type": "text/plain; charset=latin-1"})
    r = Response("GET", "http://h/x", "/x", 200, "OK", headers, "é".encode("latin-1"), 0.01, 0.0)
    assert r.text == "é" and r.headers["content-type"].startswith("text/plain") and r.ok and bool(r)
    r = Response("GET", "http://h/x", "/x", 200, "OK", {}, '{"a": "é"}'.encode(), 0.01, 0.0)
    assert r.json() == {"a": "é"} and r.text == '{"a": "é"}' and r.cookies == {}
    with pytest.raises(ValueError):
        Response("GET", "u", "n", 200, "OK", {}, b"not json", 0.0, 0.0).json()
    r.raise_for_status()


# -- HttpUser --


def test_http_user_host_resolution(env: Environment) -> None:
    from fastswarm.http.users import HttpUser

    class WithHost(HttpUser):
        host = "http://127.0.0.1:9"

    class NoHost(HttpUser):
        pass

    assert WithHost(env).client.base_url == "http://127.0.0.1:9"
    env.host = "http://127.0.0.1:8"
    user = NoHost(env)
    assert isinstance(user.client, HttpSession) and user.client.base_url == "http://127.0.0.1:8"
    assert user.client.user is user and user.client.environment is env
    # --host (environment.host) wins over the class attribute, as Locust's runner does.
    assert WithHost(env).client.base_url == "http://127.0.0.1:8"
    env.host = None
    with pytest.raises(ConfigError, match="You must specify the base host"):
        NoHost(env)
    assert HttpUser.abstract is True


def test_with_the_real_request_hook(target: Any, rec: FakeRecorder) -> None:
    from fastswarm.event import Events

    events = Events()
    env = Environment(recorder=rec, events=events)  # type: ignore[arg-type]
    session = HttpSession(target.url, env)
    session.get("/", timeout=T)  # no listeners: the hook is falsy and only the recorder sees it
    seen: list[dict[str, Any]] = []
    events.request.add_listener(lambda **kw: seen.append(kw))
    session.get("/status/500", timeout=T)
    assert [c[4] for c in rec.calls] == [None, "HTTPError 500: INTERNAL SERVER ERROR"]
    assert len(seen) == 1 and seen[0]["name"] == "/status/500" and seen[0]["context"] == {}
