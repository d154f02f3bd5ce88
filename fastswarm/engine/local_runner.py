"""``LocalRunner``: Locust's "use as a library" runner, users and stats in this one process.

A script builds ``Environment(user_classes=[...], host=...)``, calls
``env.create_local_runner()`` and drives it as Locust's docs show: ``runner.start(users,
spawn_rate)``, ``gevent.spawn_later(60, runner.quit)``, ``runner.greenlet.join()``, then reads
``env.stats``. Nothing new runs the users: ``engine/runner.UserRunner`` ramps them as in a
worker, they record into a ``Recorder`` as in a worker, and every report interval (and before
every read of ``stats``) the recorder's interval is merged into an ``Aggregator`` as the master
merges a worker's, so the numbers are the same exact HDR ones a CLI run reports.

``environment.create_local_runner()`` finds this class through ``user/env.py``'s registry
(the Environment sits below this layer and cannot import it); importing this module fills
the entry, and ``fastswarm.env`` and ``fastswarm.Environment`` import it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gevent

from fastswarm.engine.distribution import users_per_class, users_per_class_among
from fastswarm.engine.gevent_patch import patch_gevent
from fastswarm.engine.lifetime import Lifetime
from fastswarm.engine.runner import UserRunner
from fastswarm.engine.state import RunState, idle
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.locust_api import RequestStats
from fastswarm.stats.model import EndpointRow, ErrorStats, StatsKey
from fastswarm.stats.recorder import Recorder
from fastswarm.user.env import Environment, register_runner_factory, set_current

REPORT_INTERVAL_S = 1.0  # as the CLI's default --report-interval: the window's rates need intervals


class LocalRunner:
    """Runs ``environment.user_classes`` in this process; ``environment.runner`` once made."""

    def __init__(self, environment: Environment, report_interval: float = REPORT_INTERVAL_S) -> None:
        if report_interval <= 0:
            raise ValueError(f"report_interval must be > 0, not {report_interval!r}")
        self.environment = environment
        if environment.recorder is None:
            environment.recorder = Recorder()
        self.recorder: Recorder = environment.recorder
        self.aggregator = Aggregator()
        self.report_interval = report_interval
        self.users = UserRunner(environment, environment.user_classes)
        self.state = RunState.READY
        self.spawn_rate = 0.0
        self.worker_index = 0
        self._lifetime = Lifetime()
        self._reporter: gevent.Greenlet | None = None
        self.stats = RequestStats(_FlushingSource(self))

    # -- Locust's runner API --
    @property
    def user_count(self) -> int:
        return self.users.user_count

    @property
    def target_user_count(self) -> int:
        return self.users.target_count

    @property
    def user_classes_count(self) -> dict[str, int]:
        return self.users.counts()

    @property
    def greenlet(self) -> gevent.Greenlet:
        """Ends when ``quit()`` is called: ``runner.greenlet.join()`` waits for that."""
        return self._lifetime.greenlet

    @property
    def spawning_greenlet(self) -> gevent.Greenlet | None:
        """The ramp towards the last ``start``'s users (None before the first, and after a stop)."""
        return self.users.ramp

    # -- lifecycle --
    def start(
        self,
        user_count: int,
        spawn_rate: float,
        wait: bool = False,
        user_classes: Sequence[type[Any]] | None = None,
    ) -> None:
        """Ramp to ``user_count`` users at ``spawn_rate``/s (a running test changes its count).

        ``wait=True`` returns once they all run. ``user_classes`` limits the test to those.
        """
        if user_count < 0 or spawn_rate <= 0:
            raise ValueError(f"need user_count >= 0 and spawn_rate > 0, not {user_count!r}, {spawn_rate!r}")
        if self._lifetime.ended:
            raise RuntimeError("this runner has quit; create another with environment.create_local_runner()")
        env = self.environment
        env.use_host()  # -H into the user classes, as Locust's start does
        env.events.request.bind(self.recorder)
        if idle(self.state):
            self.recorder.take_interval()  # nothing recorded before the test is the test's
            self.aggregator.reset()
            self.aggregator.start(time.time())
            env.events.test_start.fire(environment=env)
            self._reporter = gevent.spawn(self._report_loop)
        if user_classes is None:
            counts = users_per_class(env.user_classes, user_count)
        else:
            counts = users_per_class_among(env.user_classes, user_classes, user_count)
        self.spawn_rate = spawn_rate
        self.state = RunState.SPAWNING
        self.users.apply(counts, spawn_rate, self._spawned)
        if wait and self.users.ramp is not None:
            self.users.ramp.join()

    def _spawned(self, users: int) -> None:
        self.state = RunState.RUNNING
        self.environment.events.spawning_complete.fire(user_count=users)

    def stop(self) -> None:
        """Stop every user (each may finish its task within ``environment.stop_timeout``)."""
        if idle(self.state):
            return
        env = self.environment
        self.state = RunState.STOPPING
        env.events.test_stopping.fire(environment=env)
        self.users.stop(timeout=env.stop_timeout)
        env.events.test_stop.fire(environment=env)
        if self._reporter is not None:
            self._reporter.kill(block=True)
            self._reporter = None
        self.flush()
        self.state = RunState.STOPPED

    def quit(self) -> None:
        """Stop, and end ``greenlet``; this runner cannot start again."""
        self.stop()
        self._lifetime.end()

    def reset_stats(self) -> None:
        self.recorder.reset()
        self.aggregator.reset()
        self.aggregator.start(time.time())
        self.environment.events.reset_stats.fire()

    # -- stats --
    def flush(self) -> None:
        """Merge what the users recorded since the last merge, as the master merges a report."""
        self.aggregator.users = self.user_count
        self.aggregator.add("local", self.recorder.take_interval())

    def _report_loop(self) -> None:
        next_at = time.monotonic() + self.report_interval
        while True:
            gevent.sleep(max(0.0, next_at - time.monotonic()))
            next_at += self.report_interval
            self.flush()


class _FlushingSource:
    """The local runner's Aggregator, brought up to date before each read."""

    def __init__(self, runner: LocalRunner) -> None:
        self._runner = runner
        self._aggregator = runner.aggregator

    @property
    def started_at(self) -> float:
        return self._aggregator.started_at

    @property
    def duration_s(self) -> float:
        return self._aggregator.duration_s  # read beside rows, which brought it up to date

    def _fresh(self) -> Aggregator:
        if not idle(self._runner.state):
            self._runner.flush()
        return self._aggregator

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        return self._fresh().endpoint_rows(now)

    def totals_row(self, now: float | None = None) -> EndpointRow:
        return self._fresh().totals_row(now)

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        return self._fresh().histogram(key)

    def errors(self) -> list[ErrorStats]:
        return self._fresh().errors()


def create_local_runner(environment: Environment) -> LocalRunner:
    """``environment.create_local_runner()``: patch gevent (as ``run_single_user`` does), make
    the runner, and make it and its environment this process's."""
    patch_gevent()
    runner = LocalRunner(environment)
    environment.runner = runner
    set_current(environment)
    return runner


register_runner_factory("local", create_local_runner)
