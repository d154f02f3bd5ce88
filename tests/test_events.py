"""The parts of the tasks-file API that need no running user.

EventHook, RequestHook and the Events catalogue (Locust's semantics, plus recording),
``User.measure`` (which records through events.request), User class defaults, and the
wait-time functions.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from typing import Any

import gevent
import pytest

from fastswarm.env import Environment
from fastswarm.event import EventHook, Events, RequestHook, error_text, events
from fastswarm.exceptions import CatchResponseError, ResponseError, TasksFileError
from fastswarm.user import wait_time as wt
from fastswarm.user.users import User
from fastswarm.user.wait_time import between, constant, constant_pacing, constant_throughput


class FakeRecorder:
    """Collects what the request path records."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, int, int, str | None]] = []

    def record(self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None) -> None:
        self.records.append((method, name, elapsed_us, length, error))


def test_listeners_get_keyword_arguments_in_order() -> None:
    hook = EventHook()
    calls: list[tuple[str, dict[str, Any]]] = []
    hook.add_listener(lambda **kw: calls.append(("a", kw)))
    hook += lambda **kw: calls.append(("b", kw))
    hook.fire(x=1, y="z")
    assert calls == [("a", {"x": 1, "y": "z"}), ("b", {"x": 1, "y": "z"})]


def test_fire_rejects_positional_arguments() -> None:
    hook = EventHook()
    hook.add_listener(lambda **kw: None)
    with pytest.raises(TypeError):
        hook.fire(1)  # type: ignore[call-arg, arg-type]


def test_add_listener_returns_fn_so_it_decorates() -> None:
    hook = EventHook()

    @hook.add_listener
    def on_it(**kw: Any) -> None:
        pass

    assert callable(on_it)
    assert on_it.__name__ == "on_it"
    assert hook


def test_truthy_only_with_listeners() -> None:
    hook = EventHook()
    assert not hook

    def listener(**kw: Any) -> None:
        pass

    hook += listener
    assert hook
    hook -= listener
    assert not hook
    hook.add_listener(listener)
    hook.remove_listener(listener)
    assert not hook
    with pytest.raises(ValueError):
        hook.remove_listener(listener)


def test_failing_listener_is_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    hook = EventHook()
    ran: list[str] = []

    def broken(**kw: Any) -> None:
        raise RuntimeError("listener bug")

    hook += broken
    hook += lambda **kw: ran.append("second")
    with caplog.at_level(logging.ERROR, logger="fastswarm.user.event_hook"):
        hook.fire(value=1)
    assert ran == ["second"]
    assert "listener bug" in caplog.text


def test_fire_reverse_calls_last_listener_first() -> None:
    hook = EventHook()
    order: list[int] = []
    hook += lambda **kw: order.append(1)
    hook += lambda **kw: order.append(2)
    hook.fire(reverse=True)
    assert order == [2, 1]


def test_request_hook_records_into_bound_recorder_then_notifies() -> None:
    hook = RequestHook()
    recorder = FakeRecorder()
    hook.bind(recorder)
    seen: list[dict[str, Any]] = []
    hook += lambda **kw: seen.append(kw)
    hook.fire(request_type="GET", name="/a", response_time=12.3456, response_length=42)
    hook.fire(
        request_type="POST",
        name="/b",
        response_time=0.4,
        response_length=None,
        exception=CatchResponseError("bad body"),
        url="http://x/b",
        start_time=1.5,
    )
    assert recorder.records == [("GET", "/a", 12346, 42, None), ("POST", "/b", 400, 0, "bad body")]
    assert [kw["name"] for kw in seen] == ["/a", "/b"]
    assert seen[0]["context"] == {} and seen[0]["exception"] is None
    assert seen[1]["url"] == "http://x/b" and seen[1]["start_time"] == 1.5


def test_request_hook_records_without_listeners_and_unbinds() -> None:
    hook = RequestHook()
    recorder = FakeRecorder()
    hook.bind(recorder)
    assert not hook  # a bound recorder is not a listener
    hook.fire(request_type="GET", name="/", response_time=1.0, response_length=1, exception=OSError("down"))
    assert recorder.records == [("GET", "/", 1000, 1, "OSError: down")]
    hook.bind(None)
    hook.fire(request_type="GET", name="/", response_time=1.0, response_length=1)
    assert len(recorder.records) == 1


def test_request_hook_fire_is_keyword_only() -> None:
    hook = RequestHook()
    with pytest.raises(TypeError):
        hook.fire("GET", "/", 1.0, 0)  # type: ignore[misc]


def test_notify_calls_listeners_but_never_records() -> None:
    hook = RequestHook()
    recorder = FakeRecorder()
    hook.bind(recorder)
    seen: list[dict[str, Any]] = []
    hook += lambda **kw: seen.append(kw)
    hook.notify(request_type="GET", name="/n", response_time=1.0, response_length=0, exception=None)
    assert recorder.records == []
    assert seen[0]["name"] == "/n"


def test_error_text() -> None:
    assert error_text(CatchResponseError("order not accepted")) == "order not accepted"
    assert error_text(ResponseError("HTTPError 500: Server Error")) == "HTTPError 500: Server Error"
    assert error_text(ValueError("boom")) == "ValueError: boom"
    assert error_text(TimeoutError()) == "TimeoutError()"
    assert error_text("plain message") == "plain message"
    # Addresses would split one error into many groups.
    text = error_text(ConnectionError("<Conn object at 0x7f3a2b1c9d00>: refused"))
    assert text == "ConnectionError: <Conn object>: refused"


def test_events_catalogue() -> None:
    names = {f.name for f in dataclasses.fields(Events)}
    assert names == {
        "init",
        "init_command_line_parser",
        "test_start",
        "test_stopping",
        "test_stop",
        "spawning_complete",
        "request",
        "user_error",
        "report_to_master",
        "worker_report",
        "quitting",
        "quit",
        "reset_stats",
        "heartbeat",
        "heartbeat_sent",
        "heartbeat_received",
        "usage_monitor",
    }
    one, two = Events(), Events()
    assert isinstance(one.request, RequestHook)
    assert isinstance(one.test_start, EventHook)
    assert one.test_start is not two.test_start  # each Events has its own hooks
    assert isinstance(events, Events)


def test_measure_records_success_failure_and_exceptions() -> None:
    recorder = FakeRecorder()
    env = Environment(events=Events())
    env.events.request.bind(recorder)
    user = User(env)
    with user.measure("poll") as m:
        gevent.sleep(0.01)
    with user.measure("check", request_type="JOB") as m:
        m.failure("not ready")
    with pytest.raises(KeyError), user.measure("explode"):
        raise KeyError("k")
    records = recorder.records
    assert [(r[0], r[1], r[3], r[4]) for r in records] == [
        ("CUSTOM", "poll", 0, None),
        ("JOB", "check", 0, "not ready"),
        ("CUSTOM", "explode", 0, "KeyError: 'k'"),
    ]
    assert 10_000 <= records[0][2] < 200_000


def test_between_and_constant() -> None:
    draw = between(0.5, 1.5)
    samples = [draw(None) for _ in range(2000)]
    assert all(0.5 <= s <= 1.5 for s in samples)
    assert min(samples) < 0.6 and max(samples) > 1.4
    assert constant(0.25)(None) == 0.25
    with pytest.raises(ValueError):
        constant_throughput(0)


def test_constant_pacing_is_drift_free_with_patched_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(wt, "_clock", lambda: now[0])

    class Holder:
        pass

    owner = Holder()
    pace = constant_pacing(0.1)
    rng = random.Random(7)
    wt.mark_task_start(owner)
    starts = [now[0]]
    for _ in range(1000):
        now[0] += rng.uniform(0.0, 0.08)  # the task
        now[0] += pace(owner) + rng.uniform(0.0, 0.003)  # the sleep overshoots a little
        starts.append(now[0])
    # Overshoot never accumulates: the 1000th task starts 100 s after the first, give or take one overshoot.
    assert starts[-1] - starts[0] == pytest.approx(100.0, abs=0.004)
    # A task longer than the interval moves the plan to now instead of bursting to catch up.
    now[0] += 0.35
    assert pace(owner) == 0.0
    now[0] += 0.01
    assert pace(owner) == pytest.approx(0.09)


def test_user_defaults_and_abstract() -> None:
    class Plain(User):
        pass

    class Base(User):
        abstract = True

    class Concrete(Base):
        pass

    assert User.abstract and Base.abstract
    assert not Plain.abstract and not Concrete.abstract
    assert (Plain.host, Plain.weight, Plain.fixed_count, Plain.tasks) == (None, 1, 0, [])
    assert Plain(Environment(events=Events())).context() == {}
    with pytest.raises(TasksFileError):

        class BadWeight(User):
            weight = -1


def test_package_attribute_is_the_instance() -> None:
    """The module is ``fastswarm.event`` (Locust's name), so the package's ``events`` is the instance."""
    import fastswarm

    assert isinstance(fastswarm.events, Events)
    assert fastswarm.events is events
