"""The master's open-model commands (``start_open``, ``set_rate``), mixed into MasterRunner.

Kept apart from ``coordinator.py`` so that file stays one concept: workers and their
messages. The rate is split evenly: each of N live workers paces rate/N, with phase i/N
so their uniform arrivals interleave into one even stream; ``max_users`` is split the
same way. Losing a worker re-splits the rate among the rest.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastswarm.engine.arrivals import RateProfile
from fastswarm.ipc.messages import SetRate, StartOpen
from fastswarm.ipc.state import RunState, WorkerInfo

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

    def alive_workers(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _workers_by_index(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _begin_test(self, host: str | None) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def init_open_model(self) -> None:
        self.open_model = False  # the running test is an open-model one
        self._rate_profile = RateProfile(0.0)  # the total rate over time.monotonic()

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
        env = self.environment
        workers = self._workers_by_index()
        if rate < 0 or (rate_end is not None and rate_end < 0):
            raise ValueError("rates must be >= 0")
        self._begin_test(host)
        end = rate if rate_end is None else rate_end
        cap = max_users or self.options.max_users
        n = len(workers)
        self.target_users, self.open_model = 0, True
        self._rate_profile = RateProfile(rate, end, ramp_s, origin=time.monotonic())
        self.aggregator.target_rate = rate
        self.state = RunState.SPAWNING
        for i, worker in enumerate(workers):
            worker.spawned = worker.stopped = False
            share = StartOpen(
                rate / n,
                end / n,
                ramp_s,
                arrival or self.options.arrival,
                max(1, cap // n + (1 if i < cap % n else 0)),
                i / n,
                duration_s or 0.0,
                env.host,
            )
            self.channel.send(worker.identity, share)

    def set_rate(self, rate: float) -> None:
        """Change the total arrival rate now (split among the live workers); starts an
        open-model test when none is running."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        if not self.open_model or self.state not in (RunState.SPAWNING, RunState.RUNNING):
            self.start_open(rate)
            return
        workers = self.alive_workers()
        self._rate_profile = RateProfile(rate, origin=time.monotonic())
        self.aggregator.target_rate = rate
        for worker in workers:
            self.channel.send(worker.identity, SetRate(rate / len(workers)))
