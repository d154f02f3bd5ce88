"""Locust's statistics objects over fastswarm's: ``RequestStats``, ``StatsEntry``, ``StatsError``.

Locust code reads ``environment.stats.total.fail_ratio`` or ``stats.get(name, method)``
(``locust_console`` has the functions that print and chart them). Here those are read
views: a ``RequestStats`` is built over the master's ``Aggregator`` (the whole run, merged
from every worker) or over a worker's ``Recorder`` (that worker's report interval so far:
Locust's worker-side stats are also reset at each report). Each read takes a fresh
snapshot; nothing is kept twice. Response times are milliseconds, as in Locust, but exact
to the microsecond (HDR histograms), not rounded to two digits.

The sources are duck-typed (``_RunSource``, ``_IntervalSource``), so this module never
imports the aggregator: a worker that builds its view does not load master code.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EndpointRow, ErrorStats, LatencySummary, StatsKey, us_to_ms
from fastswarm.stats.recorder import LiveRow

TOTAL_NAME = "Aggregated"


class _RunSource(Protocol):
    """The master's ``Aggregator``, as far as a view reads it."""

    started_at: float

    @property
    def duration_s(self) -> float: ...
    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]: ...
    def totals_row(self, now: float | None = None) -> EndpointRow: ...
    def errors(self) -> list[ErrorStats]: ...
    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram: ...


class _IntervalSource(Protocol):
    """A worker's ``Recorder``, as far as a view reads it."""

    @property
    def interval_started_at(self) -> float: ...
    def live_rows(self) -> list[LiveRow]: ...
    def live_errors(self) -> list[ErrorStats]: ...


def _summary(h: LatencyHistogram) -> LatencySummary:
    p = {k: us_to_ms(v) for k, v in h.percentiles((50.0, 90.0, 95.0, 99.0, 99.9)).items()}
    return LatencySummary(
        min=us_to_ms(h.min),
        mean=us_to_ms(h.mean),
        p50=p[50.0],
        p90=p[90.0],
        p95=p[95.0],
        p99=p[99.0],
        p99_9=p[99.9],
        max=us_to_ms(h.max),
    )


@dataclass(eq=False)
class StatsEntry:
    """One endpoint's statistics (or the "Aggregated" total, method ""), Locust's names.

    A snapshot taken when it was read; response times in ms. ``histogram`` gives the
    latency histogram on demand (only percentile reads need it).
    """

    name: str
    method: str
    num_requests: int
    num_failures: int
    total_content_length: int
    start_time: float
    last_request_timestamp: float | None
    total_rps: float
    total_fail_per_sec: float
    current_rps: float
    current_fail_per_sec: float
    histogram: Callable[[], LatencyHistogram] = field(repr=False)
    latency: LatencySummary | None = field(default=None, repr=False)
    current_percentiles: dict[float, float] = field(default_factory=dict, repr=False)
    num_none_requests: int = 0
    _hist: LatencyHistogram | None = field(default=None, init=False, repr=False)

    def _histogram(self) -> LatencyHistogram:
        if self._hist is None:
            self._hist = self.histogram()
        return self._hist

    def _latency(self) -> LatencySummary:
        if self.latency is None:
            self.latency = _summary(self._histogram())
        return self.latency

    @property
    def fail_ratio(self) -> float:
        """Failures per request; 1.0 when there were failures but no requests, as Locust."""
        if not self.num_requests:
            return 1.0 if self.num_failures else 0.0
        return self.num_failures / self.num_requests

    @property
    def avg_response_time(self) -> float:
        return self._latency().mean if self.num_requests else 0.0

    @property
    def min_response_time(self) -> float | None:
        """None before the first request, as Locust."""
        return self._latency().min if self.num_requests else None

    @property
    def max_response_time(self) -> float:
        return self._latency().max if self.num_requests else 0.0

    @property
    def median_response_time(self) -> float:
        return self._latency().p50 if self.num_requests else 0.0

    @property
    def total_response_time(self) -> float:
        return self.avg_response_time * self.num_requests

    @property
    def avg_content_length(self) -> float:
        return self.total_content_length / self.num_requests if self.num_requests else 0.0

    def get_response_time_percentile(self, percent: float) -> float:
        """The response time (ms) that ``percent`` of requests finished within; a fraction,
        as in Locust: 0.95 is the 95th percentile."""
        _check_fraction(percent)
        if not self.num_requests:
            return 0.0
        return us_to_ms(self._histogram().percentile(percent * 100.0))

    def get_current_response_time_percentile(self, percent: float) -> float | None:
        """The same over the recent window where the source keeps it (the master's window:
        0.5, 0.95, 0.99), else None."""
        _check_fraction(percent)
        return self.current_percentiles.get(percent)

    def to_string(self, current: bool = True) -> str:
        """One row of the console table; ``current`` shows recent rates, else the run's."""
        rps, fails = (
            (self.current_rps, self.current_fail_per_sec)
            if current
            else (self.total_rps, self.total_fail_per_sec)
        )
        label = f"{self.method} {self.name}" if self.method else self.name
        ratio = f"{self.num_failures}({self.fail_ratio * 100:.2f}%)"
        times = (self.avg_response_time, self.min_response_time or 0.0, self.max_response_time)
        return (
            f"{label[:48]:<48} {self.num_requests:>8} {ratio:>14} | "
            + " ".join(f"{t:>8.1f}" for t in (*times, self.median_response_time))
            + f" | {rps:>8.2f} {fails:>10.2f}"
        )


def _check_fraction(percent: float) -> None:
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0.0 <= percent <= 1.0:
        raise ValueError(f"percent is a fraction from 0 to 1 (0.95 for the 95th percentile), got {percent!r}")


@dataclass(frozen=True)
class StatsError:
    """A group of failures: Locust's ``StatsError`` (``occurrences`` of ``error``)."""

    method: str
    name: str
    error: str
    occurrences: int

    @staticmethod
    def create_key(method: str, name: str, error: str) -> str:
        return hashlib.md5(f"{method}.{name}.{error}".encode(), usedforsecurity=False).hexdigest()

    def to_name(self) -> str:
        return f"{self.method} {self.name}: {self.error}"


def _from_row(row: EndpointRow, source: _RunSource, key: StatsKey | None) -> StatsEntry:
    start = source.started_at
    duration = source.duration_s
    return StatsEntry(
        name=row.name,
        method=row.method,
        num_requests=row.requests,
        num_failures=row.failures,
        total_content_length=round(row.bytes_avg * row.requests),
        start_time=start,
        last_request_timestamp=start + duration if row.requests else None,
        total_rps=row.rps,
        total_fail_per_sec=row.failures_per_s,
        current_rps=row.current_rps,
        current_fail_per_sec=row.failures_per_s,  # the window keeps no failure rate: the run's
        histogram=lambda: source.histogram(key),
        latency=row.latency,
        current_percentiles={0.5: row.current_p50, 0.95: row.current_p95, 0.99: row.current_p99},
    )


def _interval_entry(name: str, method: str, rows: list[LiveRow], start: float, now: float) -> StatsEntry:
    requests = sum(r.requests for r in rows)
    failures = sum(r.failures for r in rows)
    seconds = max(now - start, 1e-9)

    def merged() -> LatencyHistogram:
        total = LatencyHistogram()
        for r in rows:
            total.merge(r.histogram.to_histogram())
        return total

    return StatsEntry(
        name=name,
        method=method,
        num_requests=requests,
        num_failures=failures,
        total_content_length=sum(r.bytes for r in rows),
        start_time=start,
        last_request_timestamp=now if requests else None,
        total_rps=requests / seconds,
        total_fail_per_sec=failures / seconds,
        current_rps=requests / seconds,
        current_fail_per_sec=failures / seconds,
        histogram=merged,
    )


class RequestStats:
    """Locust's ``RequestStats`` as a read view of an ``Aggregator`` (the master: the whole
    run) or a ``Recorder`` (a worker: its report interval so far).

    ``entries`` is keyed by ``(name, method)`` as in Locust; ``total`` is the "Aggregated"
    row; ``errors`` maps a key to each ``StatsError``; ``history`` is where ``stats_history``
    appends. Every read is a fresh snapshot.
    """

    def __init__(self, source: Any) -> None:
        if callable(getattr(source, "endpoint_rows", None)) and callable(getattr(source, "histogram", None)):
            self._run: _RunSource | None = source
            self._interval: _IntervalSource | None = None
        elif callable(getattr(source, "live_rows", None)):
            self._run, self._interval = None, source
        else:
            raise TypeError(
                "RequestStats reads the master's Aggregator or a worker's Recorder, "
                f"got {type(source).__name__}"
            )
        self.history: list[dict[str, Any]] = []

    @classmethod
    def from_aggregator(cls, aggregator: _RunSource) -> RequestStats:
        return cls(aggregator)

    @classmethod
    def from_recorder(cls, recorder: _IntervalSource) -> RequestStats:
        return cls(recorder)

    @property
    def entries(self) -> dict[tuple[str, str], StatsEntry]:
        if self._run is not None:
            run = self._run
            return {
                (row.name, row.method): _from_row(row, run, StatsKey(row.method, row.name))
                for row in run.endpoint_rows()
            }
        assert self._interval is not None
        rows, start, now = self._interval.live_rows(), self._interval.interval_started_at, time.time()
        return {(r.name, r.method): _interval_entry(r.name, r.method, [r], start, now) for r in rows}

    @property
    def total(self) -> StatsEntry:
        if self._run is not None:
            return _from_row(self._run.totals_row(), self._run, None)
        assert self._interval is not None
        rows, start = self._interval.live_rows(), self._interval.interval_started_at
        return _interval_entry(TOTAL_NAME, "", rows, start, time.time())

    def get(self, name: str, method: str) -> StatsEntry:
        """The entry of ``(name, method)``; an empty one if nothing was recorded under it."""
        if not isinstance(name, str) or not isinstance(method, str):
            raise TypeError(f"RequestStats.get(name, method) takes two strings, got {name!r}, {method!r}")
        found = self.entries.get((name, method))
        if found is not None:
            return found
        start = self._run.started_at if self._run is not None else self._interval_start()
        return _interval_entry(name, method, [], start, start)

    def _interval_start(self) -> float:
        assert self._interval is not None
        return self._interval.interval_started_at

    @property
    def errors(self) -> dict[str, StatsError]:
        source = self._run.errors() if self._run is not None else self._interval_errors()
        found = (StatsError(e.method, e.name, e.error, e.count) for e in source)
        return {StatsError.create_key(e.method, e.name, e.error): e for e in found}

    def _interval_errors(self) -> list[ErrorStats]:
        assert self._interval is not None
        return self._interval.live_errors()

    @property
    def num_requests(self) -> int:
        return self.total.num_requests

    @property
    def num_failures(self) -> int:
        return self.total.num_failures

    @property
    def start_time(self) -> float:
        return self.total.start_time

    @property
    def last_request_timestamp(self) -> float | None:
        return self.total.last_request_timestamp
