"""Event-loop lag: how late this process's gevent loop runs a short periodic timer.

A worker whose loop is busy (too many users, a CPU-heavy task, a long GC pause) starts
every arrival and reads every response late, so its latencies include its own delay.
A 10 ms timer measuring its own lateness shows that directly; the worst value of each
heartbeat interval travels to the master, which flags the run as limited by the load
generator above ``stats.open_stats.LOOP_LAG_LIMIT_MS``.
"""

from __future__ import annotations

import time

import gevent


class LoopLagMeter:
    """Runs as a background greenlet (``run``); ``take_max_ms`` reads and resets the worst lag."""

    def __init__(self, period_s: float = 0.01) -> None:
        if period_s <= 0:
            raise ValueError("period_s must be > 0")
        self.period_s = period_s
        self._max_s = 0.0

    def run(self) -> None:
        clock, period = time.perf_counter, self.period_s
        while True:
            due = clock() + period
            gevent.sleep(period)
            late = clock() - due
            if late > self._max_s:
                self._max_s = late

    def take_max_ms(self) -> float:
        """The worst lateness (ms) since the previous call."""
        worst, self._max_s = self._max_s, 0.0
        return worst * 1000.0
