"""What both HTTP clients share through ``frontend.BaseSession``: one argument order, one set
of default headers, and the same recording of a redirected request.

Each test runs the urllib3 client and the httptools one against the built-in target.
"""

from __future__ import annotations

from typing import Any

import pytest

from fastswarm.env import Environment
from fastswarm.http.errors import ReadTimeout
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.frontend import DEFAULT_HEADERS, BaseSession
from fastswarm.http.session import HttpSession
from tests.fakes import FakeRecorder

T = 5.0
CLIENTS = [HttpSession, FastHttpSession]


@pytest.mark.parametrize("cls", CLIENTS)
def test_one_argument_order_and_its_keywords(cls: type[BaseSession], target: Any, env: Environment) -> None:
    built = [
        cls(env, target.url, None, network_timeout=T),
        cls(environment=env, base_url=target.url, network_timeout=T),
        cls(target.url, env, network_timeout=T),  # type: ignore[arg-type]  # HttpSession's first order
    ]
    for client in built:
        assert client.environment is env and client.base_url == target.url
        assert client.get("/").status_code == 200
        client.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", CLIENTS)
def test_arguments_that_are_not_an_environment_and_a_url(cls: type[BaseSession], env: Environment) -> None:
    with pytest.raises(TypeError, match=r"\(environment, base_url, \.\.\.\): got str and str"):
        cls("http://127.0.0.1:1", "http://127.0.0.1:2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got Environment and int"):
        cls(env, 8080)  # type: ignore[arg-type]


def test_both_clients_send_the_same_default_headers(target: Any, env: Environment) -> None:
    sent = []
    for cls in CLIENTS:
        client = cls(env, target.url, network_timeout=T, default_headers={"X-Team": "blue"})
        seen = client.get("/anything").json()["headers"]
        sent.append({k: v for k, v in seen.items() if k not in ("Host", "Content-Length")})
    assert sent[0] == sent[1] == {**DEFAULT_HEADERS, "X-Team": "blue"}


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_redirected_post_is_recorded_under_post(
    cls: type[BaseSession], target: Any, env: Environment, rec: FakeRecorder
) -> None:
    client = cls(env, target.url, network_timeout=T)
    r = client.post("/redirect/1", data={"a": "1"})
    assert r.status_code == 200 and r.url == target.url + "/"
    assert r.request.method == "POST"
    assert [c[:2] for c in rec.calls] == [("POST", "/redirect/1")]


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_failed_redirect_shows_the_last_response_headers(
    cls: type[BaseSession], target: Any, env: Environment, rec: FakeRecorder
) -> None:
    client = cls(env, target.url, network_timeout=T, max_redirects=1)
    r = client.get("/redirect/3")
    assert r.status_code == 0 and r.url == target.url + "/redirect/2"
    assert r.headers["Location"] == "/redirect/1"
    assert rec.calls[0][4] == "TooManyRedirects: Exceeded 1 redirects."


@pytest.mark.parametrize("cls", CLIENTS)
def test_network_timeout_set_after_construction_applies(
    cls: type[BaseSession], target: Any, env: Environment
) -> None:
    client = cls(env, target.url, network_timeout=T)
    client.network_timeout = 0.2
    r = client.get("/delay/3000")
    assert r.status_code == 0 and isinstance(r.error, ReadTimeout) and "0.2 s" in str(r.error)
