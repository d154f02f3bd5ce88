"""A worker's UserRunner ramps down at the spawn rate (Locust: 30, 28, 26...), not all at once."""

from __future__ import annotations

import time

import gevent

from fastswarm import User, constant, task
from fastswarm.engine.runner import UserRunner
from fastswarm.event import Events
from fastswarm.user.env import Environment


class Idle(User):
    wait_time = constant(0.05)

    @task
    def nothing(self) -> None:
        pass


class Other(Idle):
    pass


def _counts_until(runner: UserRunner, done: int, deadline_s: float = 10.0) -> list[int]:
    seen, deadline = [runner.user_count], time.monotonic() + deadline_s
    while runner.user_count != done and time.monotonic() < deadline:
        gevent.sleep(0.01)
        seen.append(runner.user_count)
    return seen


def _runner() -> UserRunner:
    return UserRunner(Environment(events=Events()), [Idle, Other])


def test_lowering_the_count_stops_users_at_the_spawn_rate() -> None:
    runner = _runner()
    try:
        runner.apply({"Idle": 10}, 1000)
        assert _counts_until(runner, 10)[-1] == 10
        runner.apply({"Idle": 2}, 5)  # 8 stops, 0.2 s apart
        started = time.monotonic()
        seen = _counts_until(runner, 2)
        took = time.monotonic() - started
        assert seen[-1] == 2
        assert all(a >= b for a, b in zip(seen, seen[1:], strict=False)), seen  # only ever down
        assert len(set(seen)) >= 4, seen  # passed through counts between 10 and 2
        assert took >= 1.0, took  # 8 stops at 5/s take 1.4 s by the ramp's own deadlines
    finally:
        runner.stop(timeout=0)


def test_changing_classes_at_the_same_total_keeps_the_total_near_steady() -> None:
    runner = _runner()
    try:
        runner.apply({"Idle": 6}, 1000)
        _counts_until(runner, 6)
        runner.apply({"Idle": 0, "Other": 6}, 20)
        deadline = time.monotonic() + 10
        totals = []
        while runner.counts()["Other"] < 6 and time.monotonic() < deadline:
            gevent.sleep(0.01)
            totals.append(runner.user_count)
        assert runner.counts() == {"Idle": 0, "Other": 6}
        assert min(totals) >= 5, totals  # starts and stops interleave: never all stopped first
    finally:
        runner.stop(timeout=0)
