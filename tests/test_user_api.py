"""Users at work: task picking, TaskSets, control flow, errors, stopping, tags, old spellings."""

from __future__ import annotations

import random
import time
import warnings
from typing import Any

import gevent
import gevent.monkey
import pytest
from gevent.pool import Group

from fastswarm.env import Environment
from fastswarm.event import Events
from fastswarm.exceptions import RescheduleTask, StopUser, TasksFileError
from fastswarm.user.sequential_taskset import SequentialTaskSet
from fastswarm.user.task import TaskSet, tag, task
from fastswarm.user.task_collection import filter_tasks_by_tags
from fastswarm.user.users import User, UserState
from fastswarm.user.wait_time import constant, constant_throughput


class FakeRecorder:
    """Collects the user errors that the task loop records."""

    def __init__(self) -> None:
        self.user_errors: list[BaseException] = []

    def record_user_error(self, exc: BaseException) -> None:
        self.user_errors.append(exc)


@pytest.fixture
def env() -> Environment:
    recorder = FakeRecorder()
    return Environment(events=Events(), recorder=recorder)  # type: ignore[arg-type]


def rec(environment: Environment) -> FakeRecorder:
    assert isinstance(environment.recorder, FakeRecorder)
    return environment.recorder


def run_to_end(user: User, timeout: float = 2.0) -> gevent.Greenlet:
    glet = user.start(Group())
    glet.join(timeout)
    assert glet.dead, "user did not finish in time"
    return glet


def test_weights_ratio(env: Environment) -> None:
    counts = {"a": 0, "b": 0}

    class U(User):
        @task
        def a(self) -> None:
            self._hit("a")

        @task(3)
        def b(self) -> None:
            self._hit("b")

        def _hit(self, name: str) -> None:
            counts[name] += 1
            if counts["a"] + counts["b"] >= 10_000:
                raise StopUser()

    assert [t.__name__ for t in U.tasks] == ["a", "b", "b", "b"]
    random.seed(1)
    run_to_end(U(env), timeout=10)
    assert abs(counts["b"] / 10_000 - 0.75) < 0.02


def test_task_functions_lists_and_dicts(env: Environment) -> None:
    seen: list[tuple[str, Any]] = []

    def f(user: User) -> None:
        seen.append(("f", user))

    @task(2)
    def g(user: User) -> None:
        seen.append(("g", user))
        raise StopUser()

    class FromDict(User):
        tasks = {f: 2, g: 1}

    class FromList(User):
        tasks = [f, (g, 3)]

    assert FromDict.tasks == [f, f, g]
    assert FromList.tasks == [f, g, g, g]
    user = FromDict(env)
    run_to_end(user)
    assert seen and all(u is user for _, u in seen) and seen[-1][0] == "g"
    with pytest.raises(TasksFileError):

        class NotATaskSet(User):
            tasks = [FromList]


def test_constant_throughput_paces_real_tasks(env: Environment) -> None:
    starts: list[float] = []

    class U(User):
        wait_time = constant_throughput(50)  # one task every 20 ms

        @task
        def work(self) -> None:
            starts.append(time.monotonic())
            gevent.sleep(0.005)
            if len(starts) == 26:
                raise StopUser()

    run_to_end(U(env), timeout=3)
    span = starts[-1] - starts[0]
    assert span == pytest.approx(25 * 0.02, abs=0.1)  # no drift: 25 periods of 20 ms
    # Each start is planned from the first, so a start delayed by a busy machine does not push
    # the later ones: most stay near their plan even when a few are late.
    near = [started - (starts[0] + i * 0.02) < 0.015 for i, started in enumerate(starts)]
    assert sum(near) >= 0.8 * len(starts), near


def test_sequential_taskset_runs_in_declaration_order(env: Environment) -> None:
    order: list[str] = []

    def middle(ts: TaskSet) -> None:
        order.append("m")

    class Steps(SequentialTaskSet):
        @task
        def first(self) -> None:
            order.append("1")

        tasks = [middle]

        @task(2)
        def second(self) -> None:
            order.append("2")
            if len(order) >= 8:
                raise StopUser()

    class U(User):
        tasks = [Steps]

    run_to_end(U(env))
    assert "".join(order) == "1m221m22"


def test_nested_taskset_interrupt_and_hooks_order(env: Environment) -> None:
    log: list[str] = []

    class Inner(TaskSet):
        wait_time = constant(0)

        def on_start(self) -> None:
            assert self.user is self.parent and isinstance(self.user, U)
            log.append("ts_start")
            if log.count("ts_start") == 3:
                raise StopUser()
            self.calls = 0

        @task
        def step(self) -> None:
            log.append("step")
            self.calls += 1
            if self.calls == 2:
                self.interrupt()  # reschedule=True: the user goes on without its 10 s wait

        def on_stop(self) -> None:
            log.append("ts_stop")

    class U(User):
        wait_time = constant(10)
        tasks = [Inner]

        def on_start(self) -> None:
            log.append("user_start")

        def on_stop(self) -> None:
            log.append("user_stop")

    run_to_end(U(env))
    entry = ["ts_start", "step", "step", "ts_stop"]
    assert log == ["user_start", *entry, *entry, "ts_start", "ts_stop", "user_stop"]
    assert rec(env).user_errors == []


def test_taskset_wait_time_falls_back_to_users_and_client_proxies(env: Environment) -> None:
    class Own(TaskSet):
        wait_time = constant(3)
        tasks = [lambda ts: None]

    class Borrowed(TaskSet):
        tasks = [lambda ts: None]

    class U(User):
        wait_time = constant(7)
        tasks = [Own, Borrowed]

    user = U(env)
    user.client = object()
    assert Own(user).wait_time() == 3
    assert Borrowed(Own(user)).wait_time() == 7
    assert Borrowed(user).client is user.client


def test_reschedule_skips_wait_and_stop_user_runs_on_stop_once(env: Environment) -> None:
    calls: list[str] = []

    class U(User):
        wait_time = constant(10)

        @task
        def work(self) -> None:
            calls.append("task")
            if len(calls) < 4:
                raise RescheduleTask()
            raise StopUser()

        def on_stop(self) -> None:
            calls.append("stop")

    user = U(env)
    run_to_end(user, timeout=1)
    assert calls == ["task"] * 4 + ["stop"]
    assert user.state is UserState.STOPPED
    assert rec(env).user_errors == []


def test_task_exception_is_recorded_and_user_carries_on(env: Environment) -> None:
    fired: list[dict[str, Any]] = []
    env.events.user_error += lambda **kw: fired.append(kw)
    calls = [0]

    class U(User):
        @task
        def flaky(self) -> None:
            calls[0] += 1
            if calls[0] > 3:
                raise StopUser()
            raise ValueError(f"bad {calls[0]}")

    user = U(env)
    run_to_end(user)
    assert [str(e) for e in rec(env).user_errors] == ["bad 1", "bad 2", "bad 3"]
    assert len(fired) == 3 and fired[0]["user_instance"] is user
    assert isinstance(fired[0]["exception"], ValueError) and fired[0]["tb"] is not None


def test_failing_on_start_is_recorded_and_on_stop_still_runs(env: Environment) -> None:
    log: list[str] = []

    class U(User):
        def on_start(self) -> None:
            raise RuntimeError("login failed")

        @task
        def never(self) -> None:
            log.append("task")

        def on_stop(self) -> None:
            log.append("stop")

    run_to_end(U(env))
    assert log == ["stop"] and [str(e) for e in rec(env).user_errors] == ["login failed"]


class Slow(User):
    """Tasks of 0.2 s, waits of 10 s: where stop() lands decides what happens."""

    wait_time = constant(10)
    task_s = 0.2

    def on_start(self) -> None:
        self.log: list[str] = []

    @task
    def slow(self) -> None:
        self.log.append("task")
        gevent.sleep(self.task_s)
        self.log.append("task done")

    def on_stop(self) -> None:
        self.log.append("stop")


@pytest.mark.parametrize(
    ("delay", "force", "stopped_now", "log"),
    [
        (0.05, False, False, ["task", "task done", "stop"]),  # graceful, mid-task: finishes it
        (0.3, False, True, ["task", "task done", "stop"]),  # graceful, asleep: killed at once
        (0.05, True, True, ["task", "stop"]),  # forced, mid-task: killed at once
        (None, False, True, None),  # stopped before its greenlet ran: nothing runs
    ],
)
def test_stop(env: Environment, delay: float | None, force: bool, stopped_now: bool, log: Any) -> None:
    user = Slow(env)
    glet = user.start(Group())
    if delay is not None:
        gevent.sleep(delay)
    assert user.stop(force=force) is stopped_now
    if not stopped_now:
        assert user.state is UserState.STOPPING
    glet.join(1)
    assert glet.dead and getattr(user, "log", None) == log
    assert user.stop() is True  # stopping a dead user is harmless


class Paced(Slow):
    """Tasks of 0.02 s (a request in flight), then waits of 0.2 s."""

    wait_time = constant(0.2)
    task_s = 0.02


@pytest.mark.parametrize("force", [False, True])
def test_a_wait_that_ends_as_stop_kills_the_user_starts_no_task(env: Environment, force: bool) -> None:
    """The stop and the end of the user's wait fall due in the same turn of the event loop, the
    stop first: the kill is queued behind the user's wake-up, which must not start a task (its
    request would be cut off by the kill: "interrupted at stop")."""
    user = Paced(env)
    glet = user.start(Group())
    gevent.spawn_later(0.15, user.stop, force)  # due before the wait's end (~0.22 s)
    block = gevent.monkey.get_original("time", "sleep")
    gevent.spawn_later(0.05, block, 0.3)  # holds the loop past both: they run in one turn
    glet.join(2)
    assert glet.dead and user.log == ["task", "task done", "stop"]
    assert user.state is UserState.STOPPED


def test_an_arrival_that_comes_as_stop_kills_an_open_model_user_starts_no_task(env: Environment) -> None:
    """The open model's wait is for its next arrival: the same race, the same rule."""
    taken, ended = [], []

    def take_arrival() -> bool:
        if taken:
            gevent.sleep(0.2)
        taken.append(1)
        return True

    user = Paced(env)
    glet = user.start_open(Group(), take_arrival, lambda: ended.append(1))
    gevent.spawn_later(0.15, user.stop)
    gevent.spawn_later(0.05, gevent.monkey.get_original("time", "sleep"), 0.3)
    glet.join(2)
    assert glet.dead and user.log == ["task", "task done", "stop"]
    assert len(taken) == len(ended) == 2  # the arrival it took as it was killed is given back


def test_spawned_greenlets_die_with_the_user(env: Environment) -> None:
    ticks: list[int] = []

    class U(User):
        wait_time = constant(0.01)

        def on_start(self) -> None:
            self.bg = self.spawn(self.ticker)

        def ticker(self) -> None:
            while True:
                ticks.append(1)
                gevent.sleep(0.005)

        @task
        def idle(self) -> None:
            pass

    user = U(env)
    glet = user.start(Group())
    gevent.sleep(0.05)
    user.stop()
    glet.join(1)
    assert glet.dead and user.bg.dead and ticks


def test_tag_filtering() -> None:
    @tag("shared")
    class Tagged(TaskSet):
        @task
        def inner(self) -> None: ...

    class Untagged(TaskSet):
        @task
        def plain(self) -> None: ...

    class U(User):
        tasks = [Tagged, Untagged]

        @tag("a", "b")
        @task
        def ab(self) -> None: ...

        @tag("b")
        @task(2)
        def b(self) -> None: ...

        @task
        def none(self) -> None: ...

    original = {cls: list(cls.tasks) for cls in (U, Tagged, Untagged)}

    def names(cls: Any) -> list[str]:
        return [t.__name__ for t in cls.tasks]

    assert filter_tasks_by_tags([U], tags={"a", "shared"}) == [U]
    assert names(U) == ["Tagged", "ab"] and names(Tagged) == ["inner"] and names(Untagged) == []
    for cls, tasks in original.items():
        cls.tasks = list(tasks)
    filter_tasks_by_tags([U], exclude_tags={"b", "shared"})
    assert names(U) == ["Untagged", "none"] and names(Tagged) == []
    for cls, tasks in original.items():
        cls.tasks = list(tasks)
    assert filter_tasks_by_tags([U], tags={"nothing"}) == []


def test_deprecated_spellings_warn_once_per_class() -> None:
    class Old(TaskSet):
        @task
        def t(self) -> None: ...

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        class OldUser(User):
            task_set = Old
            min_wait = 900
            max_wait = 1100

        class Child(OldUser):
            pass

    assert sorted(str(w.message).split(":")[1].strip()[:6] for w in caught) == ["'min_w", "'task_"]
    assert all(w.category is DeprecationWarning for w in caught)
    assert OldUser.tasks == [Old] and Child.tasks == [Old]
    waits = [OldUser.wait_time(None) for _ in range(500)]  # type: ignore[arg-type]
    assert all(0.9 <= w <= 1.1 for w in waits)
