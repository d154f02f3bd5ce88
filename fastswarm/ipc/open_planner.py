"""The master's open-model planner: the total rate over time, and each live worker's share of it.

MasterRunner owns one. The rate is split evenly: each of N live workers paces rate/N, with
phase i/N so their uniform arrivals interleave into one even stream; ``max_users`` is split
the same way. When the live workers change (one lost, one joins or rejoins) ``rebalance``
splits the rate now, and the rest of any ramp, among them anew: those already pacing get
``SetRate``, a newcomer ``StartOpen`` for what is left of the run, with its share of
``max_users`` (the others keep theirs, so the total cap may drift from ``--max-users``).
Uniform arrivals of workers that joined at different times are not re-phased.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from fastswarm.config.open_spec import OpenSpec
from fastswarm.engine.arrivals import RateProfile
from fastswarm.ipc.messages import Message, SetRate, StartOpen
from fastswarm.ipc.state import WorkerInfo


class OpenPlanner:
    """Plans one open-model test at a time and sends each worker its share.

    ``send(identity, message)`` delivers to a worker; ``clock`` is ``time.monotonic`` (a test
    may pass its own). A worker that is sent ``StartOpen`` is marked as given ``generation``'s
    test (``WorkerInfo.assigned_test``); the caller says which test is current.
    """

    def __init__(self, send: Callable[[bytes, Message], object], clock: Callable[[], float] = time.monotonic):
        self._send = send
        self._clock = clock
        self.active = False  # the running test is an open-model one
        self.spec = OpenSpec(0.0)
        self._profile = RateProfile(0.0)  # the total rate over clock()
        self._began = 0.0  # clock() when the test began: a late joiner gets what is left of it

    def target_rate(self) -> float | None:
        """The total arrival rate asked for now (iterations/s), None outside the open model."""
        return self._profile.rate_at(self._clock()) if self.active else None

    def start(self, spec: OpenSpec, workers: Sequence[WorkerInfo], generation: int, host: str | None) -> None:
        """Begin ``spec``: worker ``i`` of the ``workers`` (in index order) paces its share."""
        now = self._clock()
        self.active, self.spec, self._began = True, spec, now
        self._profile = RateProfile(spec.rate, spec.end, spec.ramp_s, origin=now)
        n = len(workers)
        for i, worker in enumerate(workers):
            pace = (spec.rate, spec.end, spec.ramp_s)
            self._start_worker(worker, i, n, pace, spec.duration_s, generation, host)

    def end(self) -> None:
        """A closed-model test took over: no rate is planned any more."""
        self.active = False

    def set_rate(self, rate: float) -> None:
        """From now on ``rate`` in all, flat (a ramp in progress ends); ``rebalance`` sends it."""
        self.spec = self.spec.at_rate(rate)
        self._profile = RateProfile(rate, origin=self._clock())

    def rebalance(self, workers: Sequence[WorkerInfo], generation: int, host: str | None) -> None:
        """Split the rate now, and the rest of its ramp, among the live ``workers`` anew."""
        ordered = sorted(workers, key=lambda w: w.index)
        n, now = len(ordered), self._clock()
        rate, end, ramp_left = self._profile.rate_at(now), self._profile.end, self._ramp_left(now)
        duration = self.spec.duration_s
        left = duration - (now - self._began) if duration is not None else None
        for i, worker in enumerate(ordered):
            if worker.assigned_test == generation:
                self._send(worker.identity, SetRate(rate / n, end / n, ramp_left))
            elif left is None or left > 0:
                self._start_worker(worker, i, n, (rate, end, ramp_left), left, generation, host)

    def resend(self, worker: WorkerInfo, live: int, generation: int) -> None:
        """A worker that reconnected (one of ``live``): its share of the rate again (it may have
        missed a change); nothing if it was not given this test."""
        if worker.assigned_test == generation and live:
            now = self._clock()
            rate, end = self._profile.rate_at(now), self._profile.end
            self._send(worker.identity, SetRate(rate / live, end / live, self._ramp_left(now)))

    def _ramp_left(self, now: float) -> float:
        return max(0.0, self._profile.origin + self._profile.ramp_s - now)

    def _start_worker(
        self,
        worker: WorkerInfo,
        i: int,
        n: int,
        pace: tuple[float, float, float],
        duration_s: float | None,
        generation: int,
        host: str | None,
    ) -> None:
        """Worker ``i`` of ``n`` paces 1/n of ``pace`` (rate, end rate, ramp) for ``duration_s``
        (None: until stopped)."""
        rate, end, ramp_s = pace
        cap = self.spec.max_users
        worker.spawned = worker.stopped = False
        worker.assigned_test = generation
        pool = max(1, cap // n + (1 if i < cap % n else 0))
        length = max(duration_s or 0.0, 0.0)  # 0 on the wire: no end
        message = StartOpen(rate / n, end / n, ramp_s, self.spec.arrival.value, pool, i / n, length, host)
        self._send(worker.identity, message)
