"""Locust's ``StatsEntry`` and ``StatsError``: one endpoint's numbers and one group of failures.

Snapshots built by ``locust_api.RequestStats`` at each read, under Locust's attribute names.
Response times are milliseconds, as in Locust, but exact to the microsecond (HDR
histograms), not rounded to two digits; the histogram is only built when a percentile or a
latency is read. Nothing here imports hdrh: a view that is never read loads none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastswarm.stats.model import LatencySummary, us_to_ms

if TYPE_CHECKING:
    from fastswarm.stats.histogram import LatencyHistogram

TOTAL_NAME = "Aggregated"


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
