"""Wait-time functions: how long a user sleeps between two tasks (Locust's names and meaning).

Each returns a plain function ``wait_time(self) -> float`` meant to be assigned in a class
body (``wait_time = between(1, 2)``), where it becomes a method of the User or TaskSet. Any
other callable of that shape works the same way.

The pacing functions keep per-object state (the planned start of the next task) on the
object they are bound to. Each next start is planned from the previous *planned* start, not
from when the sleep happened to end, so timer overshoot never accumulates: over N tasks the
run lasts N intervals, as long as tasks are shorter than an interval. A task that overruns
moves the plan to "now" rather than bursting to catch up.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

WaitTimeFunc = Callable[[Any], float]

# The attribute holding the planned start (time.monotonic seconds) of the task now running.
PLANNED_ATTR = "_fastswarm_planned_start"


def _clock() -> float:
    """The pacing clock; a function so that tests can replace it."""
    return time.monotonic()


def _non_negative(name: str, value: float) -> float:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def between(min_wait: float, max_wait: float) -> WaitTimeFunc:
    """A random wait, uniformly distributed in [min_wait, max_wait] seconds."""
    _non_negative("between(min_wait)", min_wait)
    _non_negative("between(max_wait)", max_wait)
    span = max_wait - min_wait

    def wait_time(self: Any) -> float:
        return min_wait + random.random() * span

    return wait_time


def constant(wait_time: float) -> WaitTimeFunc:
    """Always the same wait, in seconds, after each task."""
    _non_negative("constant(wait_time)", wait_time)

    def constant_wait(self: Any) -> float:
        return wait_time

    return constant_wait


def mark_task_start(owner: Any, now: float | None = None) -> None:
    """Anchor pacing for ``owner``: the first task starts now. Called by the task loop."""
    setattr(owner, PLANNED_ATTR, _clock() if now is None else now)


def constant_pacing(wait_time: float) -> WaitTimeFunc:
    """Start a task every ``wait_time`` seconds: the wait is the interval minus the task's run time."""
    interval = _non_negative("constant_pacing(wait_time)", wait_time)

    def pacing_wait(self: Any) -> float:
        now = _clock()
        planned = getattr(self, PLANNED_ATTR, None)
        if planned is None:
            planned = now
        next_start = max(planned + interval, now)
        setattr(self, PLANNED_ATTR, next_start)
        return next_start - now

    return pacing_wait


def constant_throughput(task_runs_per_second: float) -> WaitTimeFunc:
    """At most ``task_runs_per_second`` tasks per second for this user (the inverse of pacing)."""
    if task_runs_per_second <= 0:
        raise ValueError(f"constant_throughput() needs a rate > 0, got {task_runs_per_second!r}")
    return constant_pacing(1.0 / task_runs_per_second)
