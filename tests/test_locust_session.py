"""``fastswarm.clients.HttpSession``: Locust's constructor, reporting through the event it is given."""

from __future__ import annotations

from typing import Any

import pytest
import urllib3

from fastswarm.clients import HttpSession
from fastswarm.env import Environment
from fastswarm.exceptions import ResponseError
from fastswarm.http.session import HttpSession as BaseHttpSession
from fastswarm.stats.recorder import Recorder
from fastswarm.user.event import EventHook, Events
from tests.conftest import Target

T = 5.0


def listen(hook: EventHook) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    hook.add_listener(lambda **kw: seen.append(kw))
    return seen


def test_a_script_gets_each_request_through_its_environments_event(target: Target) -> None:
    env = Environment(events=Events())
    seen = listen(env.events.request)
    session = HttpSession(target.url, env.events.request, None)
    assert isinstance(session, BaseHttpSession) and session.request_event is env.events.request
    session.get("/bytes/3", name="three")
    session.get("/status/404")
    assert [(s["request_type"], s["name"], s["response_length"]) for s in seen] == [
        ("GET", "three", 3),
        ("GET", "/status/404", 13),  # "404 NOT FOUND"
    ]
    assert seen[0]["exception"] is None and isinstance(seen[1]["exception"], ResponseError)
    assert seen[0]["response_time"] > 0 and seen[0]["url"] == target.url + "/bytes/3"


def test_a_bound_request_event_records_once_and_tells_listeners(target: Target) -> None:
    events, recorder = Events(), Recorder()
    events.request.bind(recorder)
    seen = listen(events.request)
    session = HttpSession(base_url=target.url, request_event=events.request, user=None)
    for _ in range(3):
        session.get("/")
    [entry] = recorder.take_interval().entries
    assert (entry.method, entry.name, entry.requests, entry.failures) == ("GET", "/", 3, 0)
    assert len(seen) == 3


def test_a_plain_event_hook_is_fired(target: Target) -> None:
    hook = EventHook()
    seen = listen(hook)
    HttpSession(target.url, hook, None).post("/anything", json={"k": 1})
    assert [(s["request_type"], s["name"]) for s in seen] == [("POST", "/anything")]


def test_a_users_own_event_uses_its_environment(target: Target) -> None:
    class Holder:
        environment = Environment(events=Events())

    user = Holder()
    session = HttpSession(target.url, user.environment.events.request, user)
    assert session.environment is user.environment and session.user is user


def test_credentials_in_the_url_become_basic_auth(target: Target) -> None:
    with_credentials = target.url.replace("http://", "http://ann:p%40ss@")
    session = HttpSession(with_credentials, EventHook(), None)
    assert session.base_url == target.url and session.auth == ("ann", "p@ss")
    sent = session.get("/anything", timeout=T).json()["headers"]
    assert sent["Authorization"] == "Basic YW5uOnBAc3M="  # ann:p@ss


def test_sessions_share_a_pool_manager(target: Target) -> None:
    shared = urllib3.PoolManager()
    first = HttpSession(target.url, EventHook(), None, pool_manager=shared)
    second = HttpSession(target.url, EventHook(), None, pool_manager=shared)
    assert first.get("/", timeout=T).ok and second.get("/", timeout=T).ok
    assert len(shared.pools) == 1


# -- wrong inputs --


@pytest.mark.parametrize("hook", [None, print, "request"])
def test_request_event_must_be_an_event_hook(hook: Any) -> None:
    with pytest.raises(TypeError, match="request_event must be an event hook"):
        HttpSession("http://127.0.0.1:1", hook, None)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host", "http://", None, ""])
def test_base_url_must_be_http_or_https(url: Any) -> None:
    with pytest.raises(ValueError, match="base_url must be http:// or https://host") as caught:
        HttpSession(url, EventHook(), None)
    assert "\n" not in str(caught.value)


def test_pool_manager_must_be_a_pool_manager() -> None:
    with pytest.raises(TypeError, match="pool_manager must be a urllib3.PoolManager, got dict"):
        HttpSession("http://127.0.0.1:1", EventHook(), None, pool_manager={})  # type: ignore[arg-type]


def test_extra_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError, match="base_url, request_event, user positionally; got 4"):
        HttpSession("http://127.0.0.1:1", EventHook(), None, "extra")
    with pytest.raises(TypeError, match="unexpected keyword argument 'trust_env'"):
        HttpSession("http://127.0.0.1:1", EventHook(), None, trust_env=False)
