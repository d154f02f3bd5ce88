"""``runner.stats`` / ``environment.stats``: the run's numbers under Locust's attribute names.

Locust code reads ``environment.stats.total.fail_ratio``, ``.total.avg_response_time``,
``.total.num_requests`` and walks ``.entries``; fastswarm's numbers live in the master's
``Aggregator`` (merged from every worker) and, before they are shipped, in a worker's
``Recorder``. ``RequestStatsView`` is a live view over either (a ``StatsSource``): each
read of ``total``, ``entries`` or ``errors`` builds fresh ``StatsEntryView`` snapshots, so a
view kept for the whole run (``gevent.spawn(printer, env.stats)``) stays current. It is a
view, not Locust's mutable ``RequestStats``: nothing here records, resets or logs a request.

On a worker the source is its recorder: what it has recorded since its last report to the
master (Locust's workers, too, clear their stats with every report).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fastswarm.stats.model import EMPTY_LATENCY, EndpointRow, ErrorStats, StatsKey, us_to_ms

if TYPE_CHECKING:  # the Environment imports this module: hdrh and numpy load only when read
    from fastswarm.stats.histogram import LatencyHistogram

TOTAL_NAME = "Aggregated"


class StatsSource(Protocol):
    """What a view reads: the master's Aggregator has these, and ``RecorderSource`` gives them."""

    @property
    def started_at(self) -> float: ...

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]: ...

    def totals_row(self, now: float | None = None) -> EndpointRow: ...

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram: ...

    def errors(self) -> list[ErrorStats]: ...


@dataclass(frozen=True, slots=True)
class StatsEntryView:
    """One endpoint (or the total), as Locust's ``StatsEntry`` names it; times in ms."""

    name: str
    method: str
    num_requests: int
    num_failures: int
    total_content_length: int
    avg_response_time: float
    min_response_time: float
    max_response_time: float
    median_response_time: float
    total_rps: float
    total_fail_per_sec: float
    current_rps: float
    histogram: Callable[[], LatencyHistogram]

    @property
    def fail_ratio(self) -> float:
        """Failures / requests (0.0 before any request)."""
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    @property
    def avg_content_length(self) -> float:
        return self.total_content_length / self.num_requests if self.num_requests else 0.0

    @property
    def current_fail_per_sec(self) -> float:
        return self.current_rps * self.fail_ratio

    def get_response_time_percentile(self, percent: float) -> float:
        """The response time (ms) at ``percent`` (0.0-1.0, as Locust: 0.95 is p95), exact from HDR."""
        if not 0.0 <= percent <= 1.0:
            raise ValueError(f"percent must be within 0.0 and 1.0, not {percent!r}")
        h = self.histogram()
        return us_to_ms(h.percentile(percent * 100)) if h.count else 0.0


@dataclass(frozen=True, slots=True)
class StatsErrorView:
    """One group of failures, as Locust's ``StatsError`` names it."""

    method: str
    name: str
    error: str
    occurrences: int


def entry_of(row: EndpointRow, histogram: Callable[[], LatencyHistogram]) -> StatsEntryView:
    """The view of one of the Aggregator's rows."""
    bytes_total = round(row.bytes_avg * row.requests)
    lat = row.latency
    return StatsEntryView(
        row.name,
        row.method,
        row.requests,
        row.failures,
        bytes_total,
        lat.mean,
        lat.min,
        lat.max,
        lat.p50,
        row.rps,
        row.failures_per_s,
        row.current_rps,
        histogram,
    )


class RequestStatsView:
    """``total``, ``entries`` (keyed ``(name, method)`` as Locust's), ``errors``, ``get``."""

    def __init__(self, source: StatsSource) -> None:
        self._source = source

    @property
    def total(self) -> StatsEntryView:
        source = self._source
        return entry_of(source.totals_row(), lambda: source.histogram(None))

    @property
    def entries(self) -> dict[tuple[str, str], StatsEntryView]:
        source = self._source
        views = {}
        for row in source.endpoint_rows():
            key = StatsKey(row.method, row.name)
            views[(row.name, row.method)] = entry_of(row, lambda k=key: source.histogram(k))  # type: ignore[misc]
        return views

    @property
    def errors(self) -> dict[tuple[str, str, str], StatsErrorView]:
        """Keyed ``(method, name, error)``; Locust keys by a hash of the same three."""
        return {
            (e.method, e.name, e.error): StatsErrorView(e.method, e.name, e.error, e.count)
            for e in self._source.errors()
        }

    def get(self, name: str, method: str) -> StatsEntryView | None:
        """The entry of (name, method), None if it has no request (Locust makes an empty one)."""
        return self.entries.get((name, method))

    @property
    def num_requests(self) -> int:
        return self.total.num_requests

    @property
    def num_failures(self) -> int:
        return self.total.num_failures

    @property
    def start_time(self) -> float:
        return self._source.started_at


class EmptySource:
    """Before any runner exists: no request, no error."""

    started_at = 0.0

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        return []

    def totals_row(self, now: float | None = None) -> EndpointRow:
        return EndpointRow("", TOTAL_NAME, 0, 0, 0.0, 0.0, 0.0, EMPTY_LATENCY, 0.0, 0.0, 0.0, 0.0)

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        from fastswarm.stats.histogram import LatencyHistogram

        return LatencyHistogram()

    def errors(self) -> list[ErrorStats]:
        return []


class DeferredSource:
    """The source ``find()`` names at each read: ``environment.stats`` made before its runner
    reads that runner's numbers once it exists."""

    def __init__(self, find: Callable[[], StatsSource | None]) -> None:
        self._find = find

    def _source(self) -> StatsSource:
        return self._find() or EmptySource()

    @property
    def started_at(self) -> float:
        return self._source().started_at

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        return self._source().endpoint_rows(now)

    def totals_row(self, now: float | None = None) -> EndpointRow:
        return self._source().totals_row(now)

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        return self._source().histogram(key)

    def errors(self) -> list[ErrorStats]:
        return self._source().errors()
