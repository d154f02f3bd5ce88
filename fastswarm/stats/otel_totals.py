"""Per-endpoint totals for ``--otel``, re-bucketed from the master's merged HDR counters.

Why not the OpenTelemetry API: recording each request through an SDK instrument would cost
the master a core at 10k+ requests a second, and the master never sees single requests
anyway. The aggregator already holds, per (method, name), the run's exact request and
failure counts and its merged HDR counters; once per push ``OtelBuckets.totals`` reads them
(``Aggregator.run_counts``) and turns them into what an OTLP cumulative point needs:
requests, failures and a fixed explicit-bucket histogram (count, sum, min, max). Nothing is
done per worker report: decoding the reports a second time for this would have cost the master
as much again as its own merge (bench/master.py --otel).

The totals are the aggregator's, so they count from its start: a stats reset (the web UI's,
or a new test) restarts them, and the push then carries the new start time, as OTLP's
cumulative temporality means it (Prometheus' /metrics restarts the same way).

Buckets: an HDR counter goes into the first bucket whose upper bound (ms) is at or above the
lowest value that counter stands for, as ``LatencyHistogram.count_at_or_below`` (Prometheus'
``le``) does: exact to the histogram's 3 significant digits. Min and max are the first and
last counter's lowest and highest value, and the sum counts each counter at its median, as
hdrh (and so every report) computes them.

Outcome: a worker counts requests and failures per endpoint but keeps one histogram for both,
so the duration histogram is per endpoint (no outcome) and only the counters carry it.

Pure numpy, no OpenTelemetry import: ``stats/otel.py`` turns the totals into OTLP data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fastswarm.stats.histogram import counter_values
from fastswarm.stats.model import StatsKey
from fastswarm.stats.prometheus import BUCKETS_S

# Upper bounds (ms) of the duration histogram's buckets: /metrics' bounds, so the Prometheus
# scrape and the OTLP push of one run can be read side by side.
DEFAULT_BOUNDS_MS: tuple[float, ...] = tuple(round(b * 1000, 6) for b in BUCKETS_S)


@dataclass(frozen=True, slots=True)
class EndpointTotals:
    """One endpoint's totals since the stats started: counters, and the histogram in ms."""

    key: StatsKey
    requests: int
    failures: int
    bucket_counts: tuple[int, ...]  # one per bound, then one above the last bound
    sum_ms: float
    min_ms: float
    max_ms: float


class OtelBuckets:
    """Fixed explicit bucket bounds, and the HDR counters that fall into each."""

    def __init__(self, bounds_ms: Sequence[float] = DEFAULT_BOUNDS_MS) -> None:
        bounds = [float(b) for b in bounds_ms]
        if not bounds or any(b <= 0 for b in bounds) or sorted(set(bounds)) != bounds:
            raise ValueError("bounds_ms must be positive and strictly increasing")
        self.bounds_ms = tuple(bounds)
        self._values = counter_values()  # per HDR counter: lowest, highest, median value (µs)
        # Counter i lies in the first bucket whose bound is at or above its lowest value.
        self._bucket_of = np.searchsorted(np.asarray(bounds) * 1000.0, self._values[0], side="left")

    def totals(
        self, keys: Sequence[StatsKey], counters: np.ndarray, rows: np.ndarray
    ) -> list[EndpointTotals]:
        """``Aggregator.run_counts()``'s endpoints as OTLP totals (rows: HDR counters, cut short).

        Whole-matrix numpy: one ``add.reduceat`` sums each bucket's counters, two ``argmax``
        find each row's first and last counter, one product gives the sums; no Python loop
        over counters, no temporary as large as the matrix but a boolean one.
        """
        n, width = rows.shape
        if not n:
            return []
        lowest, highest, median = self._values
        nb = len(self.bounds_ms) + 1
        # Bucket k holds counters starts[k] .. ends[k] - 1 (bucket_of never falls).
        starts = np.searchsorted(self._bucket_of[:width], np.arange(nb), side="left")
        ends = np.append(starts[1:], width)
        filled = starts < ends
        buckets = np.zeros((n, nb), dtype=np.int64)
        if filled.any():  # consecutive filled buckets' ranges touch: reduceat's segments are theirs
            buckets[:, filled] = np.add.reduceat(rows, starts[filled], axis=1)
        total = buckets.sum(axis=1)
        seen = (total > 0).tolist()
        nonzero = rows != 0
        first = np.argmax(nonzero, axis=1)
        last = width - 1 - np.argmax(nonzero[:, ::-1], axis=1) if width else first
        if width and int(total.max()) * int(median[width - 1]) < 2**63:  # no int64 overflow
            sums = (rows @ median[:width]).tolist()
        else:
            sums = (rows @ median[:width].astype(np.float64)).tolist()
        low, high = lowest[first].tolist(), highest[last].tolist()
        per_row, counts = buckets.tolist(), counters.tolist()
        return [
            EndpointTotals(
                key=key,
                requests=int(counts[r][0]),
                failures=int(counts[r][1]),
                bucket_counts=tuple(per_row[r]),
                sum_ms=sums[r] / 1000.0,
                min_ms=low[r] / 1000.0 if seen[r] else 0.0,
                max_ms=high[r] / 1000.0 if seen[r] else 0.0,
            )
            for r, key in enumerate(keys)
        ]
