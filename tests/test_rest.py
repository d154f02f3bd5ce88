"""``rest``/``rest_`` and exceptions in ``catch_response`` blocks, for both HTTP clients.

Each test runs against the built-in target with the urllib3 client and the httptools one,
since both users get ``rest`` and both share ``ResponseContextManager``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fastswarm.env import Environment
from fastswarm.exceptions import ResponseError, StopUser
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.rest import RestMixin, RestResponseContextManager, json_headers
from fastswarm.http.session import HttpSession
from tests.conftest import Target
from tests.fakes import FakeRecorder
from tests.test_http_client import closed_port

T = 5.0


class Holder(RestMixin):
    """The part of a user that ``rest`` needs: a ``client``."""

    def __init__(self, client: Any) -> None:
        self.client = client


def _make(kind: str, url: str, env: Environment) -> Any:
    if kind == "fast":
        return FastHttpSession(env, url, network_timeout=T, connection_timeout=T)
    return HttpSession(url, env, network_timeout=T, connection_timeout=T)


@pytest.fixture(params=["urllib3", "fast"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def user(kind: str, target: Target, env: Environment) -> Iterator[Holder]:
    client = _make(kind, target.url, env)
    yield Holder(client)
    client.close()


def errors(rec: FakeRecorder) -> list[str | None]:
    return [c[4] for c in rec.calls]


# -- rest --


def test_json_request_decoded_once_into_js(user: Holder, rec: FakeRecorder) -> None:
    with user.rest("POST", "/anything", json={"a": [1, 2]}) as resp:
        assert isinstance(resp, RestResponseContextManager) and rec.calls == []
        assert resp.js["json"] == {"a": [1, 2]}
        sent = resp.js["headers"]
        assert sent["Content-Type"] == "application/json" and sent["Accept"] == "application/json"
        assert resp.js is resp.js  # decoded once, not per read
    assert [(c[0], c[1], c[4]) for c in rec.calls] == [("POST", "/anything", None)]


def test_given_headers_are_kept_and_not_changed(user: Holder) -> None:
    given = {"accept": "text/plain", "X-Trace": "7"}
    with user.rest("GET", "/anything", headers=given) as resp:
        sent = resp.js["headers"]
    assert sent["Accept"] == "text/plain" and sent["X-Trace"] == "7"
    assert sent["Content-Type"] == "application/json"
    assert given == {"accept": "text/plain", "X-Trace": "7"}


def test_body_that_is_not_json_fails(user: Holder, rec: FakeRecorder) -> None:
    with user.rest("GET", "/") as resp:
        assert resp.js is None and resp.text == "ok"
    [error] = errors(rec)
    assert error is not None and error.startswith("response is not JSON (") and error.endswith("body: ok")


def test_status_400_and_up_fails_and_an_empty_body_is_no_json_error(user: Holder, rec: FakeRecorder) -> None:
    with user.rest("GET", "/status/500") as resp:  # its body is text: the JSON failure says the status
        assert resp.js is None
    with user.rest("HEAD", "/status/500") as resp:  # no body: the status is the failure
        assert resp.js is None
    with user.rest("GET", "/status/204") as resp:
        assert resp.js is None
    first, second, third = errors(rec)
    assert first is not None and first.startswith("response is not JSON") and ", status 500, " in first
    assert (second, third) == ("HTTPError 500: INTERNAL SERVER ERROR", None)


def test_success_and_failure_in_the_block_win(user: Holder, rec: FakeRecorder) -> None:
    with user.rest("GET", "/") as resp:  # not JSON, but the task says it is fine
        resp.success()
    with user.rest("GET", "/anything") as resp:
        if resp.js["method"] != "POST":
            resp.failure("expected a POST")
    assert errors(rec) == [None, "expected a POST"]


def test_missing_key_fails_the_request_and_does_not_reach_the_task(user: Holder, rec: FakeRecorder) -> None:
    with user.rest("GET", "/anything") as resp:
        resp.js["no such key"]  # noqa: B018 - the KeyError is the point
    [error] = errors(rec)
    assert error is not None and error.startswith("KeyError: 'no such key' at test_rest.py:")
    assert '. Response was {"method": "GET"' in error


def test_assertions_become_the_failure_message(user: Holder, rec: FakeRecorder) -> None:
    # AssertionError raised by hand: pytest rewrites this file's asserts, adding to their messages.
    for message in ("wrong method", "wrong method,", None):
        with user.rest("GET", "/anything"):
            raise AssertionError(message) if message else AssertionError()
    first, second, third = errors(rec)
    assert first == "wrong method" and third == "Assertion failed"
    assert second is not None and second.startswith('wrong method, response was {"method": "GET"')


def test_steering_exceptions_reach_the_task_after_the_request_is_recorded(
    user: Holder, rec: FakeRecorder
) -> None:
    with pytest.raises(StopUser):
        with user.rest("GET", "/anything"):
            raise StopUser()
    assert errors(rec) == [None]


def test_transport_error_fails_and_the_block_still_runs(
    kind: str, env: Environment, rec: FakeRecorder
) -> None:
    port = closed_port()
    user = Holder(_make(kind, f"http://127.0.0.1:{port}", env))
    ran = []
    with user.rest("GET", "/anything") as resp:
        ran.append(resp.js)
    assert ran == [None] and resp.status_code == 0
    [error] = errors(rec)
    assert error is not None and error.startswith("ConnectionRefusedError:")


def test_rest_underscore_stamps_the_url_and_names_it(user: Holder, rec: FakeRecorder) -> None:
    with user.rest_("GET", "/anything?x=1") as resp:
        stamp = resp.js["args"]["_"]
        assert resp.js["args"]["x"] == "1" and stamp.isdigit() and len(stamp) >= 13
    with user.rest_("GET", "/anything", name="mine") as resp:
        assert resp.js["args"]["_"].isdigit()
    assert [c[1] for c in rec.calls] == ["/anything?x=1&_=...", "mine"]


def test_both_users_have_rest() -> None:
    from fastswarm.contrib.fasthttp import FastHttpUser
    from fastswarm.contrib.fasthttp import RestResponseContextManager as ViaContrib
    from fastswarm.http import RestResponseContextManager as ViaHttp
    from fastswarm.http.users import HttpUser

    assert issubclass(HttpUser, RestMixin) and issubclass(FastHttpUser, RestMixin)
    assert ViaContrib is ViaHttp is RestResponseContextManager


# -- wrong inputs --


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("GET", "/anything"), {"headers": [("Accept", "x")]}, "headers must be a mapping"),
        (("GET", "/anything"), {"catch_response": False}, "always uses catch_response=True"),
        ((b"GET", "/anything"), {}, "method and url must be strings"),
        (("GET", None), {}, "method and url must be strings"),
    ],
)
def test_wrong_arguments_are_one_line_type_errors(
    user: Holder, rec: FakeRecorder, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message) as caught:
        with user.rest(*args, **kwargs):
            pass
    assert "\n" not in str(caught.value) and rec.calls == []


def test_json_headers_alone() -> None:
    assert json_headers(None) == {"Content-Type": "application/json", "Accept": "application/json"}
    assert json_headers({"CONTENT-TYPE": "text/csv"}) == {
        "CONTENT-TYPE": "text/csv",
        "Accept": "application/json",
    }


# -- an exception in a catch_response block, as Locust records it (both clients) --


def test_other_exceptions_go_on_and_leave_an_unjudged_request_unrecorded(
    user: Holder, rec: FakeRecorder
) -> None:
    client = user.client
    with pytest.raises(KeyError):
        with client.get("/", catch_response=True):
            raise KeyError("missing")
    with pytest.raises(StopUser):
        with client.get("/status/404", catch_response=True):
            raise StopUser()
    assert rec.calls == []


def test_a_judged_request_is_recorded_and_the_exception_still_goes_on(
    user: Holder, rec: FakeRecorder
) -> None:
    client = user.client
    with pytest.raises(StopUser):
        with client.get("/", catch_response=True) as r:
            r.success()
            raise StopUser()
    with pytest.raises(ValueError):
        with client.get("/", catch_response=True) as r:
            r.failure("judged first")
            raise ValueError("then broke")
    with pytest.raises(ResponseError):
        with client.get("/", catch_response=True) as r:
            r.success()
            raise ResponseError("after success")  # judged: goes on, as in Locust
    assert errors(rec) == [None, "judged first", None]


def test_response_error_fails_the_request_and_is_swallowed(user: Holder, rec: FakeRecorder) -> None:
    with user.client.get("/", catch_response=True):
        raise ResponseError("judged bad")
    assert errors(rec) == ["judged bad"]
