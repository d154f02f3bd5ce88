"""The master's open-model commands (``start_open``, ``set_rate``), mixed into MasterRunner.

Kept apart from ``coordinator.py`` so that file stays one concept: workers and their
messages. The rate is split evenly: each of N live workers paces rate/N, with phase i/N
so their uniform arrivals interleave into one even stream; ``max_users`` is split the
same way. When the live workers change (one lost, one joins or rejoins) ``rebalance_open``
splits the rate now, and the rest of any ramp, among them anew: those already pacing get
``SetRate``, a newcomer ``StartOpen`` for what is left of the run, with its share of
``max_users`` (the others keep theirs, so the total cap may drift from ``--max-users``).
Uniform arrivals of workers that joined at different times are not re-phased.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastswarm.engine.arrivals import RateProfile
from fastswarm.engine.state import RunState
from fastswarm.ipc.messages import SetRate, StartOpen
from fastswarm.ipc.state import WorkerInfo

if TYPE_CHECKING:
    from fastswarm.ipc.channel import MasterChannel
    from fastswarm.stats.aggregator import Aggregator
    from fastswarm.user.env import Environment


class OpenModelControl:
    """The open-model half of MasterRunner (which provides the attributes declared here)."""

    environment: Environment
    channel: MasterChannel
    aggregator: Aggregator
    options: Any
    state: RunState
    target_users: int
    test_generation: int

    def alive_workers(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _workers_by_index(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _begin_test(self, host: str | None) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def init_open_model(self) -> None:
        self.open_model = False  # the running test is an open-model one
        self._rate_profile = RateProfile(0.0)  # the total rate over time.monotonic()
        # what a worker joining mid-run needs: arrival, the total max_users, the run's
        # length (0: none) and when it began (time.monotonic())
        self._open_plan: tuple[str, int, float, float] = ("uniform", 1, 0.0, 0.0)

    @property
    def target_rate(self) -> float | None:
        """The total arrival rate asked for now (iterations/s), None outside the open model."""
        if not self.open_model:
            return None
        return self._rate_profile.rate_at(time.monotonic())

    def start_open(
        self,
        rate: float,
        rate_end: float | None = None,
        ramp_s: float = 0.0,
        arrival: str | None = None,
        max_users: int | None = None,
        duration_s: float | None = None,
        host: str | None = None,
    ) -> None:
        """Start an open-model test: ``rate`` task iterations/s in all (ramping to ``rate_end``
        over ``ramp_s``), each of the N live workers pacing rate/N with its own user pool
        (``max_users`` split among them). ``duration_s`` ends the schedule: R*D iterations."""
        workers = self._workers_by_index()
        if rate < 0 or (rate_end is not None and rate_end < 0):
            raise ValueError("rates must be >= 0")
        self._begin_test(host)
        end = rate if rate_end is None else rate_end
        cap = max_users or self.options.max_users
        n = len(workers)
        self.target_users, self.open_model = 0, True
        now = time.monotonic()
        self._rate_profile = RateProfile(rate, end, ramp_s, origin=now)
        self._open_plan = (arrival or self.options.arrival, cap, duration_s or 0.0, now)
        self.aggregator.target_rate = rate
        self.state = RunState.SPAWNING
        for i, worker in enumerate(workers):
            self._send_start_open(worker, i, n, rate, end, ramp_s, duration_s or 0.0)

    def _send_start_open(
        self, worker: WorkerInfo, i: int, n: int, rate: float, end: float, ramp_s: float, duration_s: float
    ) -> None:
        """Worker ``i`` of ``n`` paces rate/n (to end/n over ramp_s) for ``duration_s`` (0: on)."""
        arrival, cap = self._open_plan[0], self._open_plan[1]
        worker.spawned = worker.stopped = False
        worker.assigned_test = self.test_generation
        pool = max(1, cap // n + (1 if i < cap % n else 0))
        host = self.environment.host
        message = StartOpen(rate / n, end / n, ramp_s, arrival, pool, i / n, duration_s, host)
        self.channel.send(worker.identity, message)

    def rebalance_open(self) -> None:
        """Split the rate now, and the rest of its ramp, among the live workers anew."""
        workers = sorted(self.alive_workers(), key=lambda w: w.index)
        n, now = len(workers), time.monotonic()
        profile = self._rate_profile
        rate, end = profile.rate_at(now), profile.end
        ramp_left = max(0.0, profile.origin + profile.ramp_s - now)
        duration, began = self._open_plan[2], self._open_plan[3]
        left = duration - (now - began) if duration else 0.0
        for i, worker in enumerate(workers):
            if worker.assigned_test == self.test_generation:
                self.channel.send(worker.identity, SetRate(rate / n, end / n, ramp_left))
            elif not duration or left > 0:
                self._send_start_open(worker, i, n, rate, end, ramp_left, max(left, 0.0))

    def resend_rate(self, worker: WorkerInfo) -> None:
        """A worker that reconnected: its share of the rate again (it may have missed a change)."""
        n, now = len(self.alive_workers()), time.monotonic()
        profile = self._rate_profile
        if worker.assigned_test == self.test_generation and n:
            ramp_left = max(0.0, profile.origin + profile.ramp_s - now)
            self.channel.send(worker.identity, SetRate(profile.rate_at(now) / n, profile.end / n, ramp_left))

    def set_rate(self, rate: float) -> None:
        """Change the total arrival rate now (split among the live workers); starts an
        open-model test when none is running."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        if not self.open_model or self.state not in (RunState.SPAWNING, RunState.RUNNING):
            self.start_open(rate)
            return
        self._rate_profile = RateProfile(rate, origin=time.monotonic())
        self.aggregator.target_rate = rate
        self.rebalance_open()  # a worker that has not started pacing yet starts now
