"""The old spellings in compat/spellings.py, in-process: each maps to the current API and warns once."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import pytest

import fastswarm
from fastswarm.compat import spellings as compat
from fastswarm.compat.spellings import normalize_swarm_body
from fastswarm.config.options import OptionParser, apply_custom_options, shareable_options
from fastswarm.config.settings import Config
from fastswarm.event import EventHook, Events
from fastswarm.exceptions import ConfigError


class FakeRecorder:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def record(self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None) -> None:
        self.rows.append((method, name, elapsed_us, length, error))


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "_warned", set())


def _caught(fn: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    assert all(issubclass(w.category, DeprecationWarning) for w in caught)
    return value, [str(w.message) for w in caught]


def test_request_success_and_failure_record_through_request_with_locusts_meaning() -> None:
    events, recorder = Events(), FakeRecorder()
    events.request.bind(recorder)
    seen: list[tuple[str, dict[str, Any]]] = []
    _, messages = _caught(lambda: events.request_success)
    assert messages == ["events.request_success is deprecated; use events.request"]
    _, again = _caught(lambda: (events.request_success, events.request_success))
    assert again == []  # one warning per process, not per use

    def ok(**kw: Any) -> None:
        seen.append(("ok", kw))

    def bad(**kw: Any) -> None:
        seen.append(("bad", kw))

    events.request_success += ok
    _caught(lambda: events.request_failure.add_listener(bad))
    events.request_success.fire(request_type="GET", name="a", response_time=12, response_length=5)
    events.request_failure.fire(request_type="POST", name="b", response_time=3.5, exception=Exception("boom"))
    events.request.fire(request_type="X", name="c", response_time=1.0, response_length=0, exception=None)
    assert recorder.rows == [
        ("GET", "a", 12000, 5, None),
        ("POST", "b", 3500, 0, "Exception: boom"),
        ("X", "c", 1000, 0, None),
    ]
    assert [kind for kind, _ in seen] == ["ok", "bad", "ok"]
    assert seen[0][1] == {"request_type": "GET", "name": "a", "response_time": 12, "response_length": 5}
    assert str(seen[1][1]["exception"]) == "boom"
    events.request_success -= ok
    events.request_failure.remove_listener(bad)
    assert not events.request and not events.request_success


def test_start_hatching_aliases_fire_on_their_role_only_with_no_arguments() -> None:
    events = Events()
    calls: list[str] = []

    def worker_setup() -> None:
        calls.append("worker")

    def master_setup(environment: Any) -> None:
        calls.append(f"master:{environment.role}")

    _, messages = _caught(lambda: events.locust_start_hatching.add_listener(worker_setup))
    _caught(lambda: events.master_start_hatching.add_listener(master_setup))
    assert messages == ["events.locust_start_hatching is deprecated; use events.test_start"]
    events.test_start.fire(environment=SimpleNamespace(role="worker"))
    events.test_start.fire(environment=SimpleNamespace(role="master"))
    assert calls == ["worker", "master:master"]
    events.locust_start_hatching -= worker_setup
    events.test_start.fire(environment=SimpleNamespace(role="worker"))
    assert calls == ["worker", "master:master"]


def test_package_names_and_exception_module() -> None:
    for name in ("HttpLocust", "Locust"):
        fastswarm.__dict__.pop(name, None)
    user_cls, messages = _caught(lambda: fastswarm.HttpLocust)
    assert user_cls is fastswarm.HttpUser and messages == [
        "HttpLocust is deprecated; use HttpUser (from fastswarm import HttpUser)"
    ]
    assert _caught(lambda: fastswarm.Locust)[0] is fastswarm.User
    from fastswarm import exception

    assert (
        exception.StopUser is fastswarm.StopUser and exception.InterruptTaskSet is fastswarm.InterruptTaskSet
    )
    assert _caught(lambda: exception.StopLocust)[0] is fastswarm.StopUser
    with pytest.raises(AttributeError):
        fastswarm.NoSuchThing  # noqa: B018
    with pytest.raises(AttributeError):
        Events().no_such_event  # noqa: B018
    hook_cls, _ = _caught(lambda: Events().EventHook)
    assert hook_cls is EventHook


def test_runners_isinstance() -> None:
    from fastswarm.runners import LocalRunner, MasterRunner, Runner, WorkerRunner

    assert issubclass(MasterRunner, Runner) and issubclass(WorkerRunner, Runner)
    assert not issubclass(MasterRunner, LocalRunner) and not issubclass(WorkerRunner, LocalRunner)


def test_normalize_swarm_body_renames_and_warns_once_per_field() -> None:
    body, messages = _caught(lambda: normalize_swarm_body({"locust_count": 3, "hatch_rate": 1, "host": "h"}))
    assert body == {"users": 3, "spawn_rate": 1, "host": "h"}
    assert len(messages) == 2 and "'locust_count' is deprecated" in messages[0]
    body, messages = _caught(lambda: normalize_swarm_body({"locust_count": 5, "users": 2}))
    assert body == {"users": 2} and messages == []
    assert normalize_swarm_body({"users": 1}) == {"users": 1}


def test_option_parser_env_var_and_locust_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    events = Events()
    monkeypatch.setenv("MY_COUNT", "9")

    @events.init_command_line_parser.add_listener
    def _(parser: OptionParser) -> None:
        parser.add_argument("--my-count", type=int, default=1, env_var="MY_COUNT", include_in_web_ui=True)
        parser.add_argument("--flag", action="store_true")

    config = apply_custom_options(Config(user_class_names=("A", "--flag", "B")), events)
    assert config.user_class_names == ("A", "B")
    assert config.my_count == 9 and config.flag is True  # type: ignore[attr-defined]
    assert shareable_options(config) == {"my_count": 9, "flag": True}
    with pytest.raises(AttributeError):
        config.nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ConfigError, match="No such option: --other"):
        apply_custom_options(Config(user_class_names=("--other",)), events)
    plain = Config(user_class_names=("A",))
    assert apply_custom_options(plain, Events()) is plain


def test_post_swarm_accepts_the_seeds_fields_with_a_warning() -> None:
    from fastswarm.web.swarm import parse_swarm

    request, messages = _caught(lambda: parse_swarm({"locust_count": 3, "hatch_rate": 1}, 1, 9.0))
    assert (request.users, request.spawn_rate) == (3, 1.0)
    assert [m.split(" is ")[0] for m in messages] == [
        "POST /swarm field 'locust_count'",
        "POST /swarm field 'hatch_rate'",
    ]
    again, messages = _caught(lambda: parse_swarm({"locust_count": 5}, 1, 9.0))
    assert again.users == 5 and messages == []


def test_post_swarm_aliases_come_from_one_table() -> None:
    """Locust's own ``user_count`` is renamed without a warning by the same table that
    renames the seed's fields; fastswarm's own name wins over an alias; /openapi.json
    documents the aliases from that table."""
    from fastswarm.web.control import ControlError
    from fastswarm.web.openapi import SWARM
    from fastswarm.web.swarm import parse_swarm

    request, messages = _caught(lambda: parse_swarm({"user_count": 4, "spawn_rate": 2}, 1, 9.0))
    assert (request.users, request.spawn_rate) == (4, 2.0) and messages == []
    both, _ = _caught(lambda: parse_swarm({"user_count": 4, "users": 6, "locust_count": 8}, 1, 9.0))
    assert both.users == 6
    assert compat.swarm_aliases("users") == ["user_count", "locust_count"]
    assert SWARM["properties"]["spawn_rate"]["description"] == "alias: hatch_rate"
    with pytest.raises(ControlError, match=r"^user_counts: unknown field \(known: host, rate"):
        parse_swarm({"user_counts": 4}, 1, 9.0)
