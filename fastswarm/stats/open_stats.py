"""Open-model statistics: arrivals run, dropped and late, and the generator's schedule lag.

Nothing is hidden: an arrival that found no free user is *dropped*, one that started more
than ``LATE_AFTER_S`` after its plan is *late*, and every started arrival's lag (actual
start - planned start) goes into its own HDR histogram. A worker counts into
``ArrivalCounters`` and ships an ``OpenIntervalStats`` inside its ``IntervalStats``; the
master adds them into an ``OpenTotals``.

The generator self-check lives here too (``GeneratorHealth``): the master feeds it each
worker's heartbeat (CPU %, event-loop lag) and it says whether, and why, the run was
limited by the load generator rather than by the system under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastswarm.stats.hdr_sparse import decode_sparse
from fastswarm.stats.histogram import HIGHEST_US, LOWEST_US, SIGNIFICANT_FIGURES, LatencyHistogram
from fastswarm.stats.model import LatencySummary, OpenIntervalStats

LATE_AFTER_S = 0.005
"""An arrival that starts more than this (s) after its planned time is counted late.

5 ms is several times gevent's timer granularity and a healthy loop's jitter (both about
0.1-1 ms), so "late" means the generator fell behind its schedule, not that a timer fired
a little after its deadline. Late arrivals still run; their lateness is in the lag
histogram and in every request's corrected latency.
"""

CPU_LIMIT_PERCENT = 90.0
"""A worker above this CPU (% of one core, over a heartbeat interval) is saturated."""

LOOP_LAG_LIMIT_MS = 50.0
"""A worker whose event loop ran a 10 ms timer more than this late is saturated.

50 ms: a single garbage collection or a burst of callbacks costs a few ms; a loop that is
50 ms behind delays every request's timing and every arrival by as much.
"""


class ArrivalCounters:
    """Worker side: counts arrivals as the pacer and the pool see them (once per arrival)."""

    __slots__ = ("iterations", "dropped", "late", "lag")

    def __init__(self) -> None:
        self.iterations = 0
        self.dropped = 0
        self.late = 0
        self.lag = LatencyHistogram()

    def started(self, lag_s: float) -> None:
        """An arrival began ``lag_s`` seconds after its planned start."""
        self.iterations += 1
        if lag_s > LATE_AFTER_S:
            self.late += 1
        self.lag.record(int(lag_s * 1e6))

    def drop(self) -> None:
        """An arrival found no free user and the pool was full."""
        self.dropped += 1

    def take(self) -> OpenIntervalStats:
        """This interval's counts; the counters start again from zero."""
        out = OpenIntervalStats(self.iterations, self.dropped, self.late, self.lag.to_bytes())
        self.iterations = self.dropped = self.late = 0
        self.lag.reset()
        return out


class OpenTotals:
    """Master side: the run's open-model counts, merged exactly across workers."""

    def __init__(self) -> None:
        self.iterations = 0
        self.dropped = 0
        self.late = 0
        self.lag = LatencyHistogram()
        self.seen = False

    def add(self, interval: OpenIntervalStats) -> None:
        self.seen = True
        self.iterations += interval.iterations
        self.dropped += interval.dropped
        self.late += interval.late
        if interval.iterations:
            # Straight to its non-zero counters: decoding a whole hdrh histogram per report
            # made 184 KB of cyclic garbage (hdrh's histogram and encoder refer to each
            # other) that waited for the cycle collector.
            blob = interval.lag_histogram
            sparse = decode_sparse(blob, LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
            self.lag.merge(sparse if sparse is not None else LatencyHistogram.from_bytes(blob))


def latency_json(lat: LatencySummary) -> dict[str, float]:
    """A latency summary as the JSON report writes it (ms)."""
    return {
        "min": lat.min,
        "mean": lat.mean,
        "p50": lat.p50,
        "p90": lat.p90,
        "p95": lat.p95,
        "p99": lat.p99,
        "p99.9": lat.p99_9,
        "max": lat.max,
    }


@dataclass(frozen=True, slots=True)
class OpenModelSummary:
    """The open model's run-wide figures, as reports and /stats show them."""

    target_rate: float  # iterations/s asked for now (after ramps and set_rate)
    iterations: int  # arrivals that started a task
    achieved_rate: float  # iterations / run duration
    dropped: int  # arrivals with no free user and a full pool
    late: int  # arrivals started more than LATE_AFTER_S after their plan
    schedule_lag: LatencySummary  # actual start - planned start, ms

    def to_json(self) -> dict[str, Any]:
        return {
            "target_rate": round(self.target_rate, 3),
            "iterations": self.iterations,
            "achieved_rate": round(self.achieved_rate, 3),
            "dropped": self.dropped,
            "late": self.late,
            "late_after_ms": LATE_AFTER_S * 1000,
            "schedule_lag_ms": latency_json(self.schedule_lag),
        }


class GeneratorHealth:
    """Whether the load generator itself was the bottleneck, and why (first reason kept).

    ``observe`` is fed every heartbeat of a running test; a worker above ``CPU_LIMIT_PERCENT``
    or ``LOOP_LAG_LIMIT_MS`` flags the run. The peaks are kept so a report can say how close
    a run that was not flagged came.
    """

    def __init__(self, cpu_limit: float = CPU_LIMIT_PERCENT, lag_limit_ms: float = LOOP_LAG_LIMIT_MS) -> None:
        self.cpu_limit = cpu_limit
        self.lag_limit_ms = lag_limit_ms
        self.reset()

    def reset(self) -> None:
        self.limited = False
        self.reason: str | None = None
        self.peak_cpu_percent = 0.0
        self.peak_loop_lag_ms = 0.0

    def observe(self, worker: str, cpu_percent: float, loop_lag_ms: float) -> None:
        self.peak_cpu_percent = max(self.peak_cpu_percent, cpu_percent)
        self.peak_loop_lag_ms = max(self.peak_loop_lag_ms, loop_lag_ms)
        if self.limited:
            return
        if cpu_percent > self.cpu_limit:
            self.reason = f"worker {worker} CPU {cpu_percent:.0f}% > {self.cpu_limit:.0f}%"
        elif loop_lag_ms > self.lag_limit_ms:
            self.reason = f"worker {worker} event-loop lag {loop_lag_ms:.0f} ms > {self.lag_limit_ms:.0f} ms"
        else:
            return
        self.limited = True

    def to_json(self) -> dict[str, Any]:
        return {
            "generator_limited": self.limited,
            "generator_limited_reason": self.reason,
            "generator_peak_cpu_percent": round(self.peak_cpu_percent, 1),
            "generator_peak_loop_lag_ms": round(self.peak_loop_lag_ms, 3),
        }
