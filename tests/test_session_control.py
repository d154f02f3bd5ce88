"""The master's ``TestControl`` on its own: commands, timers and views over a recording runner."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

import gevent
import pytest
from gevent.event import Event

from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.state import RunState
from fastswarm.master.session_control import TestControl
from fastswarm.stats.aggregator import Aggregator
from fastswarm.user.env import Environment
from fastswarm.web.control import ControlError

HOST = "http://127.0.0.1:1"


class RecordingRunner:
    """The part of MasterRunner the control uses; records each command."""

    def __init__(self) -> None:
        self.environment = Environment(role="master", user_classes=[], host=HOST)
        self.aggregator = Aggregator()
        self.state = RunState.READY
        self.target_rate: float | None = None
        self.target_users = 0
        self.spawn_rate = 1.0
        self.user_count = 0
        self.worker_count = 2
        self.workers: dict[bytes, Any] = {}
        self.door = SimpleNamespace(refusals=[])
        self.protocol_errors = 0
        self.calls: list[tuple[Any, ...]] = []

    def start(self, users: int, spawn_rate: float, host: str | None = None) -> None:
        self.calls.append(("start", users, spawn_rate, host))
        self.state, self.target_users = RunState.RUNNING, users

    def set_rate(self, rate: float) -> None:
        self.calls.append(("set_rate", rate))
        self.state = RunState.RUNNING

    def stop(self, force: bool = False) -> bool:
        self.calls.append(("stop",))
        self.state = RunState.STOPPED
        return True

    def reset_stats(self) -> None:
        self.calls.append(("reset_stats",))


def _control(**options: Any) -> tuple[TestControl, RecordingRunner]:
    options.setdefault("console_interval", 60.0)  # no live table printed during a test
    control = TestControl(Config(**options), Event())
    runner = RecordingRunner()
    control.attach(cast(MasterRunner, runner))
    return control, runner


def test_every_command_before_the_runner_exists_is_a_control_error() -> None:
    control = TestControl(Config(), Event())
    for command in (
        lambda: control.start_test(1, 1.0),
        control.stop_test,
        control.reset_stats,
        control.snapshot,
        control.gauges,
        control.run_info,
        lambda: control.aggregator,
    ):
        with pytest.raises(ControlError, match="not coordinating yet"):
            command()


def test_start_test_starts_users_and_notes_the_start_once() -> None:
    control, runner = _control(headless=True)
    assert control.started_at == 0.0
    before = time.time()
    control.start_test(5, 2.0, "http://127.0.0.1:2")
    first = control.started_at
    assert before <= first <= time.time()
    control.start_test(8, 2.0)  # a re-target keeps the test's start time
    assert control.started_at == first
    assert runner.calls == [("start", 5, 2.0, "http://127.0.0.1:2"), ("start", 8, 2.0, None)]
    gauges = control.gauges()
    assert (gauges.state, gauges.target_users, gauges.workers, gauges.target_rate) == ("running", 8, 2, None)


def test_a_rate_sets_the_open_models_rate_and_the_host() -> None:
    control, runner = _control(headless=True)
    control.start_test(0, 1.0, "http://127.0.0.1:3", rate=40.0)
    assert runner.calls == [("set_rate", 40.0)]
    assert runner.environment.host == "http://127.0.0.1:3"
    assert control.gauges().target_rate == 40.0  # the runner knows none yet: the asked-for rate
    runner.target_rate = 55.5  # mid-ramp, the runner's own figure wins
    assert control.gauges().target_rate == 55.5
    assert control.snapshot()["target_rate"] == 55.5


def test_nothing_starts_once_the_master_is_shutting_down() -> None:
    control, runner = _control(headless=True)
    control.done.set()
    with pytest.raises(ControlError, match="shutting down"):
        control.start_test(1, 1.0)
    assert runner.calls == []


def test_run_time_ends_a_headless_run() -> None:
    control, runner = _control(headless=True)
    control.start_test(1, 1.0, run_time=0.05)
    assert 0.0 <= control.snapshot()["run_time_left_s"] <= 0.05
    assert control.done.wait(timeout=2.0)
    assert runner.calls == [("start", 1, 1.0, None)]  # the session stops the runner itself


def test_run_time_in_web_mode_stops_the_test_and_keeps_serving() -> None:
    control, runner = _control()
    control.start_test(1, 1.0, run_time=0.05)
    deadline = time.monotonic() + 2.0
    while runner.state is not RunState.STOPPED and time.monotonic() < deadline:
        gevent.sleep(0.01)
    assert runner.calls == [("start", 1, 1.0, None), ("stop",)]
    assert not control.done.is_set()
    assert control.snapshot()["run_time_left_s"] is None


def test_a_new_start_cancels_the_old_run_time() -> None:
    control, runner = _control(headless=True)
    control.start_test(1, 1.0, run_time=0.05)
    control.start_test(2, 1.0)  # no run time now: runs until stopped
    assert not control.done.wait(timeout=0.2)
    assert control.snapshot()["run_time_left_s"] is None


def test_stop_ends_a_headless_run_and_autoquit_ends_an_autostarted_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    control, runner = _control(headless=True)
    control.start_test(1, 1.0)
    control.stop_test()
    assert control.done.is_set() and runner.calls[-1] == ("stop",)

    control, runner = _control(autostart=True, autoquit=0.05)
    control.start_test(1, 1.0)
    control.stop_test()
    assert not control.done.is_set()
    assert control.done.wait(timeout=2.0)
    assert "--autoquit: quitting" in capsys.readouterr().err


def test_a_start_after_the_stop_cancels_autoquit() -> None:
    control, _ = _control(autostart=True, autoquit=0.1)
    control.start_test(1, 1.0)
    control.stop_test()
    control.start_test(1, 1.0)
    assert not control.done.wait(timeout=0.3)


def test_reset_and_run_info_go_to_the_runner() -> None:
    control, runner = _control(headless=True)
    control.reset_stats()
    assert runner.calls == [("reset_stats",)]
    info = control.run_info()
    assert (info.host, info.users, info.processes) == (HOST, 0, 0)
    assert control.aggregator is runner.aggregator


def test_wait_for_end_refuses_no_web_without_a_way_to_start() -> None:
    control, runner = _control(no_web=True)
    with pytest.raises(ConfigError, match="--no-web: needs --headless or --autostart"):
        control.wait_for_end()
    assert runner.calls == []


def test_wait_for_end_autostarts_at_the_first_rate_and_returns_when_done() -> None:
    control, runner = _control(autostart=True, rate=(30.0, 60.0), ramp=10.0, host=HOST)
    gevent.spawn_later(0.05, control.done.set)
    control.wait_for_end()
    assert runner.calls == [("set_rate", 30.0)]
    assert control.done.is_set()
