"""Stats value objects: what a worker ships each interval, and what the master reports.

Interval types (``EntryStats`` .. ``IntervalStats``) cross the process boundary: each checks
its values when built, and ``ipc/wire_stats.py`` (the protocol's one converter) turns them
into msgpack lists and back, checking every field's type and bounds before building one.
The report types (``LatencySummary``, ``EndpointRow``, ``HistoryPoint``) stay in the master
and are plain immutable rows.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from fastswarm.stats.histogram import CountsSummary


class StatsKey(NamedTuple):
    """Identity of one endpoint's stats: Locust's (request_type, name)."""

    method: str
    name: str


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


@dataclass(frozen=True, slots=True)
class EntryStats:
    """One endpoint's counters and encoded latency histogram for one interval."""

    method: str
    name: str
    requests: int
    failures: int
    bytes: int
    histogram: builtins.bytes  # the field above shadows the builtin in this scope
    corrected: builtins.bytes = b""  # open model: corrected-latency histogram, else empty

    def __post_init__(self) -> None:
        _check(self.requests >= 0 and self.failures >= 0 and self.bytes >= 0, "negative counter")

    @property
    def key(self) -> StatsKey:
        return StatsKey(self.method, self.name)


@dataclass(frozen=True, slots=True)
class ErrorStats:
    """How often one (method, name, error message) failure happened."""

    method: str
    name: str
    error: str
    count: int

    def __post_init__(self) -> None:
        _check(self.count >= 0, "negative count")


@dataclass(frozen=True, slots=True)
class UserErrorStats:
    """An exception raised by user task code: type name, message, count, first traceback."""

    kind: str
    message: str
    count: int
    traceback: str

    def __post_init__(self) -> None:
        _check(self.count >= 0, "negative count")


@dataclass(frozen=True, slots=True)
class OpenIntervalStats:
    """One worker's open-model counts for one interval, with its schedule-lag histogram."""

    iterations: int
    dropped: int
    late: int
    lag_histogram: builtins.bytes

    def __post_init__(self) -> None:
        _check(self.iterations >= 0 and self.dropped >= 0 and self.late >= 0, "negative counter")


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """Everything one worker recorded between ``started_at`` and ``ended_at`` (epoch s)."""

    started_at: float
    ended_at: float
    entries: tuple[EntryStats, ...] = ()
    errors: tuple[ErrorStats, ...] = ()
    user_errors: tuple[UserErrorStats, ...] = ()
    open_model: OpenIntervalStats | None = None  # arrivals, drops, lateness (open model only)

    def __post_init__(self) -> None:
        _check(self.ended_at >= self.started_at, "ended_at before started_at")


# -- master-side report rows --


def us_to_ms(us: float) -> float:
    """Microseconds to milliseconds, kept to µs precision (0.412)."""
    return round(us / 1000, 3)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latency distribution in milliseconds (µs precision)."""

    min: float
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    p99_9: float
    max: float

    @classmethod
    def of(cls, s: CountsSummary) -> LatencySummary:
        """``s`` (µs, read with at least ``LATENCY_PCTS``) in ms; EMPTY_LATENCY when empty."""
        if not s.count:
            return EMPTY_LATENCY
        p = s.percentiles
        return cls(
            *map(us_to_ms, (s.min, s.mean, p[50.0], p[90.0], p[95.0], p[99.0], p[99.9], s.max))
        )


EMPTY_LATENCY = LatencySummary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
LATENCY_PCTS = (50.0, 90.0, 95.0, 99.0, 99.9)
"""The percentiles a LatencySummary holds."""


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One endpoint (or the "Aggregated" total) as the reports show it.

    ``rps``/``failures_per_s`` are over the whole run; ``current_*`` over the sliding window.
    Latencies are in ms.
    """

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    failures_per_s: float
    bytes_avg: float
    latency: LatencySummary
    current_rps: float
    current_p50: float
    current_p95: float
    current_p99: float
    corrected_latency: LatencySummary | None = None  # open model: from each iteration's planned start


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One second of the run (``t`` = epoch second); latencies in ms."""

    t: float
    rps: float
    failures_per_s: float
    users: int
    p50: float
    p95: float
    p99: float
    target_rate: float | None = None  # open model: the total rate asked for in that second
