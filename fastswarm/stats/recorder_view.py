"""A worker's ``runner.stats``: its recorder's open interval, read as a ``StatsSource``.

Kept apart from ``aggregator.py`` (a worker never loads the master's merge code): the rows
are summarised here from each row's sparse histogram, when code reads them.
"""

from __future__ import annotations

import time

from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import (
    EMPTY_LATENCY,
    EndpointRow,
    ErrorStats,
    LatencySummary,
    StatsKey,
    us_to_ms,
)
from fastswarm.stats.recorder import Recorder
from fastswarm.stats.runner_view import TOTAL_NAME

_PCTS = (50.0, 90.0, 95.0, 99.0, 99.9)


def latency_of(h: LatencyHistogram) -> LatencySummary:
    """A histogram's latency summary in ms."""
    if not h.count:
        return EMPTY_LATENCY
    p = h.percentiles(_PCTS)
    return LatencySummary(
        us_to_ms(h.min),
        us_to_ms(h.mean),
        us_to_ms(p[50.0]),
        us_to_ms(p[90.0]),
        us_to_ms(p[95.0]),
        us_to_ms(p[99.0]),
        us_to_ms(p[99.9]),
        us_to_ms(h.max),
    )


class RecorderSource:
    """The open interval of a worker's recorder; rates are over that interval."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    @property
    def started_at(self) -> float:
        return self._recorder.interval_started_at

    def _histograms(self) -> dict[StatsKey, tuple[int, int, int, LatencyHistogram]]:
        return {key: (n, f, b, h.to_histogram()) for key, n, f, b, h in self._recorder.pending()}

    def _row(self, key: StatsKey, counters: tuple[int, int, int], h: LatencyHistogram) -> EndpointRow:
        requests, failures, total_bytes = counters
        seconds = max(time.time() - self.started_at, 1e-9)
        rps, fps = requests / seconds, failures / seconds
        lat = latency_of(h)
        avg = total_bytes / requests if requests else 0.0
        current = (rps, lat.p50, lat.p95, lat.p99)  # the open interval is this worker's window
        return EndpointRow(key.method, key.name, requests, failures, rps, fps, avg, lat, *current)

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        rows = [self._row(k, (n, f, b), h) for k, (n, f, b, h) in self._histograms().items()]
        return sorted(rows, key=lambda r: (r.name, r.method))

    def totals_row(self, now: float | None = None) -> EndpointRow:
        return self._row(StatsKey("", TOTAL_NAME), self._totals(), self.histogram(None))

    def _totals(self) -> tuple[int, int, int]:
        pending = self._recorder.pending()
        return (sum(p[1] for p in pending), sum(p[2] for p in pending), sum(p[3] for p in pending))

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        total = LatencyHistogram()
        for k, _, _, _, h in self._recorder.pending():
            if key is None or k == key:
                total.merge(h.to_histogram())
        return total

    def errors(self) -> list[ErrorStats]:
        return self._recorder.pending_errors()
