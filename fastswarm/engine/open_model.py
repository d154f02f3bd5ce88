"""One worker's open model: a pacer that starts iterations on schedule, and a pool of users.

The pacer (one greenlet) walks an ``ArrivalSchedule`` whose times are offsets from the
moment the test started (``time.perf_counter``), sleeping until each arrival is due and
handing it to a free user through a queue. When no user is free it starts one (up to
``max_users``; on_start runs once), else the arrival is dropped and counted. A user that
finishes its task goes back to the queue for the next arrival, so users are reused.

Each user greenlet's current planned start is kept in ``planned`` (greenlet -> perf_counter
seconds): the recorder reads it, with no per-request allocation, to record every request's
corrected latency (completion - planned start of its iteration, wrk2's definition).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event
from gevent.pool import Group
from gevent.queue import Queue

from fastswarm.engine.arrivals import ArrivalSchedule
from fastswarm.engine.runner import stop_users
from fastswarm.stats.open_stats import ArrivalCounters

_BURST = 64  # the most arrivals handed out in a row before the pacer yields to the loop

if TYPE_CHECKING:
    from fastswarm.config.open_spec import OpenSpec
    from fastswarm.user.env import Environment
    from fastswarm.user.users import User


class _Seat:
    """Per-user bookkeeping of the pool: whether the user has taken its first arrival yet."""

    __slots__ = ("user", "fresh")

    def __init__(self, user: User) -> None:
        self.user = user
        self.fresh = True


class OpenModelRunner:
    """Paces arrivals and owns the pooled users of one worker; never touches the protocol."""

    def __init__(self, environment: Environment, user_classes: Sequence[type[User]]) -> None:
        self.environment = environment
        self.classes = [cls for cls in user_classes if getattr(cls, "weight", 1) > 0] or list(user_classes)
        self.group = Group()
        self.counters = ArrivalCounters()
        self.planned: dict[gevent.Greenlet, float] = {}
        self.users: list[User] = []
        self.max_users = 1
        self.schedule: ArrivalSchedule | None = None
        self.started_at = 0.0  # perf_counter origin of the schedule
        self._queue: Queue[float] = Queue()
        self._idle = 0
        self._starting = 0
        self._created = 0
        self._per_class: dict[type[User], int] = {}
        self._pacer: gevent.Greenlet | None = None
        self._wake = Event()

    @property
    def user_count(self) -> int:
        return len(self.users)

    @property
    def running(self) -> bool:
        return self._pacer is not None and not self._pacer.dead

    def planned_start(self) -> float | None:
        """The planned start (perf_counter s) of the iteration the current greenlet runs, if any."""
        return self.planned.get(gevent.getcurrent())

    # -- control --

    def start(self, spec: OpenSpec, phase: float = 0.0, rng: random.Random | None = None) -> None:
        """Begin pacing ``spec`` (this worker's share of the rate and of the user cap) from now;
        ``phase`` (0..1) shifts uniform arrivals so that the workers' streams interleave."""
        self._kill_pacer()
        self.max_users = spec.max_users
        self.schedule = ArrivalSchedule(
            spec.rate, spec.rate_end, spec.ramp_s, spec.arrival, phase, spec.duration_s, rng
        )
        self.started_at = time.perf_counter()
        self._pacer = gevent.spawn(self._pace, self.schedule)

    def set_rate(self, rate: float, rate_end: float | None = None, ramp_s: float = 0.0) -> None:
        """Pace ``rate`` arrivals/s from now on, ramping to ``rate_end`` over ``ramp_s`` (flat by
        default: a ramp in progress ends); wakes the pacer."""
        if self.schedule is None:
            return
        self.schedule.set_rate(rate, time.perf_counter() - self.started_at, rate_end, ramp_s)
        self._wake.set()

    def stop(self, timeout: float) -> None:
        """Stop pacing; users mid-task may finish it within ``timeout`` s, idle ones leave at once."""
        self._kill_pacer()
        stop_users(list(self.users), self.group, timeout)
        self.users.clear()
        self.planned.clear()
        self._queue = Queue()
        self._idle = self._starting = self._created = 0
        self._per_class.clear()

    def _kill_pacer(self) -> None:
        if self._pacer is not None:
            self._pacer.kill(block=True)
            self._pacer = None

    # -- the pacer --

    def _pace(self, schedule: ArrivalSchedule) -> None:
        clock, origin = time.perf_counter, self.started_at
        burst = 0  # arrivals handed out since the pacer last let the loop run
        while True:
            planned = schedule.peek()
            if planned == math.inf:
                if schedule.duration_s is not None and schedule.profile.end > 0:
                    return  # the schedule is over
                self._wake.clear()
                self._wake.wait()  # rate 0: wait for set_rate
                continue
            delay = origin + planned - clock()
            if delay > 0:
                burst = 0
                self._wake.clear()
                self._wake.wait(delay)  # woken early by set_rate: plan again
                continue
            schedule.next_planned()
            self._dispatch(origin + planned)
            burst += 1
            if burst == _BURST:  # behind a rate faster than this process can pace: never starve
                burst = 0  # the users, heartbeats and stats of the loop while catching up
                gevent.sleep(0)

    def _dispatch(self, planned: float) -> None:
        """Hand one arrival to a free (or new) user, or count it dropped."""
        if self._idle + self._starting - self._queue.qsize() <= 0:
            if len(self.users) >= self.max_users:
                self.counters.drop()
                return
            self._start_user()
        self._queue.put(planned)

    def _start_user(self) -> None:
        env = self.environment
        cls = self._next_class()
        user = cls(env)
        user.user_id = self._created * env.worker_count + env.worker_index
        self._created += 1
        seat = _Seat(user)
        self._starting += 1
        self.users.append(user)
        glet = user.start_open(self.group, lambda: self._take(seat), self._end)
        glet.link(lambda g: self._forget(seat, g))

    def _next_class(self) -> type[User]:
        """Classes in proportion to their weights, as users are added one by one."""
        total = sum(getattr(c, "weight", 1) or 1 for c in self.classes)
        n = self._created + 1
        cls = max(
            self.classes,
            key=lambda c: (getattr(c, "weight", 1) or 1) * n / total - self._per_class.get(c, 0),
        )
        self._per_class[cls] = self._per_class.get(cls, 0) + 1
        return cls

    def _take(self, seat: _Seat) -> bool:
        """A user asks for its next arrival: blocks, then records the schedule lag."""
        if seat.fresh:
            seat.fresh = False
            self._starting -= 1
        self._idle += 1
        try:
            planned = self._queue.get()
        finally:
            self._idle -= 1
        self.counters.started(time.perf_counter() - planned)
        self.planned[gevent.getcurrent()] = planned
        return True

    def _end(self) -> None:
        """The current user's task ended: its requests are no longer part of an iteration."""
        self.planned.pop(gevent.getcurrent(), None)

    def _forget(self, seat: _Seat, glet: gevent.Greenlet) -> None:
        if seat.fresh:
            seat.fresh = False
            self._starting -= 1
        self.planned.pop(glet, None)
        if seat.user in self.users:
            self.users.remove(seat.user)
