"""Locust's ``RequestStats``: ``runner.stats`` and ``environment.stats`` everywhere.

Locust code reads ``environment.stats.total.fail_ratio`` or ``stats.get(name, method)``
(``locust_console`` has the functions that print and chart them). Here a ``RequestStats``
is a read view over what a runner already keeps, so nothing is counted twice:

- the master's ``Aggregator`` (the whole run, merged from every worker), or the local
  runner's, brought up to date before each read (a ``_RunSource``);
- a worker's ``Recorder``: its report interval so far (an ``_IntervalSource``; Locust's
  worker-side stats are also reset at each report);
- a ``DeferredSource``: another ``RequestStats`` named at each read, so an Environment's
  ``stats`` taken before it has a runner reads that runner's numbers once it exists (and
  nothing, an ``EmptySource``, before).

Each read of ``total``, ``entries`` or ``errors`` builds fresh ``StatsEntry`` snapshots. The
sources are duck-typed, so this module never imports the aggregator (a worker that builds
its view loads no master code), and importing it loads no hdrh: the Environment imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from fastswarm.stats.locust_entry import TOTAL_NAME
from fastswarm.stats.locust_entry import StatsEntry as StatsEntry
from fastswarm.stats.locust_entry import StatsError as StatsError
from fastswarm.stats.model import EndpointRow, ErrorStats, StatsKey

if TYPE_CHECKING:
    from fastswarm.stats.histogram import LatencyHistogram
    from fastswarm.stats.recorder import LiveRow


class _RunSource(Protocol):
    """The master's ``Aggregator``, as far as a view reads it."""

    @property
    def started_at(self) -> float: ...
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


class EmptySource:
    """Before any runner exists: an interval with no request and no error."""

    interval_started_at = 0.0

    def live_rows(self) -> list[LiveRow]:
        return []

    def live_errors(self) -> list[ErrorStats]:
        return []


class DeferredSource:
    """The ``RequestStats`` that ``find()`` names at each read (None: there is none yet)."""

    def __init__(self, find: Callable[[], RequestStats | None]) -> None:
        self.find = find


def _from_row(row: EndpointRow, source: _RunSource, key: StatsKey | None) -> StatsEntry:
    start = source.started_at
    ratio = row.failures / row.requests if row.requests else 0.0
    return StatsEntry(
        name=row.name,
        method=row.method,
        num_requests=row.requests,
        num_failures=row.failures,
        total_content_length=round(row.bytes_avg * row.requests),
        start_time=start,
        last_request_timestamp=start + source.duration_s if row.requests else None,
        total_rps=row.rps,
        total_fail_per_sec=row.failures_per_s,
        current_rps=row.current_rps,
        current_fail_per_sec=row.current_rps * ratio,  # the window counts requests, not failures
        histogram=lambda: source.histogram(key),
        latency=row.latency,
        current_percentiles={0.5: row.current_p50, 0.95: row.current_p95, 0.99: row.current_p99},
    )


def _interval_entry(name: str, method: str, rows: list[LiveRow], start: float, now: float) -> StatsEntry:
    requests = sum(r.requests for r in rows)
    failures = sum(r.failures for r in rows)
    seconds = max(now - start, 1e-9)

    def merged() -> LatencyHistogram:
        from fastswarm.stats.histogram import LatencyHistogram

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


class _RunReader:
    """Entries of a ``_RunSource``: the run's totals, with the window's current rates."""

    def __init__(self, source: _RunSource) -> None:
        self.source = source

    def start(self) -> float:
        return self.source.started_at

    def entries(self) -> dict[tuple[str, str], StatsEntry]:
        run = self.source
        return {
            (row.name, row.method): _from_row(row, run, StatsKey(row.method, row.name))
            for row in run.endpoint_rows()
        }

    def total(self) -> StatsEntry:
        return _from_row(self.source.totals_row(), self.source, None)

    def errors(self) -> list[ErrorStats]:
        return self.source.errors()


class _IntervalReader:
    """Entries of an ``_IntervalSource``: its interval so far, rates over that interval."""

    def __init__(self, source: _IntervalSource) -> None:
        self.source = source

    def start(self) -> float:
        return self.source.interval_started_at

    def entries(self) -> dict[tuple[str, str], StatsEntry]:
        rows, start, now = self.source.live_rows(), self.start(), time.time()
        return {(r.name, r.method): _interval_entry(r.name, r.method, [r], start, now) for r in rows}

    def total(self) -> StatsEntry:
        return _interval_entry(TOTAL_NAME, "", self.source.live_rows(), self.start(), time.time())

    def errors(self) -> list[ErrorStats]:
        return self.source.live_errors()


def _reader_of(source: Any) -> _RunReader | _IntervalReader:
    if callable(getattr(source, "endpoint_rows", None)) and callable(getattr(source, "histogram", None)):
        return _RunReader(source)
    if callable(getattr(source, "live_rows", None)):
        return _IntervalReader(source)
    raise TypeError(
        f"RequestStats reads the master's Aggregator or a worker's Recorder, got {type(source).__name__}"
    )


class RequestStats:
    """Locust's ``RequestStats`` as a read view of an ``Aggregator`` (the master and the local
    runner: the whole run), a ``Recorder`` (a worker: its report interval so far) or a
    ``DeferredSource`` (another ``RequestStats``, found at each read).

    ``entries`` is keyed by ``(name, method)`` as in Locust; ``total`` is the "Aggregated"
    row; ``errors`` maps a key to each ``StatsError``; ``history`` is where ``stats_history``
    appends (a deferred view's is the one it follows). Every read is a fresh snapshot.
    """

    def __init__(self, source: Any) -> None:
        self._deferred: DeferredSource | None = None
        self._fixed: _RunReader | _IntervalReader | None = None
        if isinstance(source, DeferredSource):
            self._deferred = source
        else:
            self._fixed = _reader_of(source)
        self._history: list[dict[str, Any]] = []

    @classmethod
    def from_aggregator(cls, aggregator: _RunSource) -> RequestStats:
        return cls(aggregator)

    @classmethod
    def from_recorder(cls, recorder: _IntervalSource) -> RequestStats:
        return cls(recorder)

    def _followed(self) -> RequestStats | None:
        found = self._deferred.find() if self._deferred is not None else None
        return found if isinstance(found, RequestStats) and found is not self else None

    def _reader(self) -> _RunReader | _IntervalReader:
        if self._fixed is not None:
            return self._fixed
        found = self._followed()
        return found._reader() if found is not None else _IntervalReader(EmptySource())

    @property
    def history(self) -> list[dict[str, Any]]:
        found = self._followed()
        return found.history if found is not None else self._history

    @property
    def entries(self) -> dict[tuple[str, str], StatsEntry]:
        return self._reader().entries()

    @property
    def total(self) -> StatsEntry:
        return self._reader().total()

    def get(self, name: str, method: str) -> StatsEntry:
        """The entry of ``(name, method)``; an empty one if nothing was recorded under it."""
        if not isinstance(name, str) or not isinstance(method, str):
            raise TypeError(f"RequestStats.get(name, method) takes two strings, got {name!r}, {method!r}")
        reader = self._reader()
        found = reader.entries().get((name, method))
        if found is not None:
            return found
        start = reader.start()
        return _interval_entry(name, method, [], start, start)

    @property
    def errors(self) -> dict[str, StatsError]:
        found = (StatsError(e.method, e.name, e.error, e.count) for e in self._reader().errors())
        return {StatsError.create_key(e.method, e.name, e.error): e for e in found}

    @property
    def num_requests(self) -> int:
        return self.total.num_requests

    @property
    def num_failures(self) -> int:
        return self.total.num_failures

    @property
    def start_time(self) -> float:
        return self._reader().start()

    @property
    def last_request_timestamp(self) -> float | None:
        return self.total.last_request_timestamp
