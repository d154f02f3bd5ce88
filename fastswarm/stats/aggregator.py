"""Master-side merge of the workers' interval stats into run totals, a window and history.

Everything is built from the workers' HDR histograms by exact counter addition, so a
merged percentile equals the percentile of one histogram fed every sample. Rates are
measured, never estimated: run rates divide by (latest interval end - run start), and
per-second / window rates divide each worker's counts by the time its intervals covered.

Memory: an HDR histogram is ~190 KB of counters, so per-second histograms are kept only
for the buckets still inside the current window (plus a short grace for late intervals);
older seconds are collapsed into their summary, and at most ``history_limit`` are kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastswarm.stats.hdr_sparse import SparseCounts, decode_sparse
from fastswarm.stats.histogram import HIGHEST_US, LOWEST_US, SIGNIFICANT_FIGURES, LatencyHistogram
from fastswarm.stats.model import (
    EMPTY_LATENCY,
    EndpointRow,
    ErrorStats,
    HistoryPoint,
    IntervalStats,
    LatencySummary,
    StatsKey,
    UserErrorStats,
    us_to_ms,
)
from fastswarm.stats.open_stats import GeneratorHealth, OpenModelSummary, OpenTotals
from fastswarm.stats.recorder import OTHER_ERRORS

TOTAL_NAME = "Aggregated"
_GRACE_S = 2  # seconds a bucket keeps its histograms after leaving the window
_PCTS = (50.0, 90.0, 95.0, 99.0, 99.9)


@dataclass(slots=True)
class _Totals:
    """Cumulative counters and histogram of one endpoint (or of all of them)."""

    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    requests: int = 0
    failures: int = 0
    bytes: int = 0
    corrected: LatencyHistogram | None = None  # open model only


@dataclass(slots=True)
class _Bucket:
    """One wall-clock second of intervals (bucketed by ``int(ended_at)``).

    ``workers`` maps worker -> [requests, failures, seconds measured]; ``key_counts`` maps
    (key, worker) -> [requests, failures]. While live, ``total``/``hists`` hold merged
    histograms; once finalized only ``pcts`` (µs) is kept.
    """

    t: int
    users: int
    workers: dict[str, list[float]] = field(default_factory=dict)
    key_counts: dict[tuple[StatsKey, str], list[int]] = field(default_factory=dict)
    total: LatencyHistogram | None = field(default_factory=LatencyHistogram)
    hists: dict[StatsKey, LatencyHistogram] = field(default_factory=dict)
    pcts: dict[float, int] = field(default_factory=dict)


def _decode(blob: bytes) -> LatencyHistogram | SparseCounts:
    """A worker's histogram blob as its non-zero counters, or whole if not in fastswarm's layout."""
    sparse = decode_sparse(blob, LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
    return sparse if sparse is not None else LatencyHistogram.from_bytes(blob)


def summarize(h: LatencyHistogram) -> LatencySummary:
    """A histogram's latency summary in ms (µs precision)."""
    if not h.count:
        return EMPTY_LATENCY
    p = h.percentiles(_PCTS)
    return LatencySummary(
        min=us_to_ms(h.min),
        mean=us_to_ms(h.mean),
        p50=us_to_ms(p[50.0]),
        p90=us_to_ms(p[90.0]),
        p95=us_to_ms(p[95.0]),
        p99=us_to_ms(p[99.0]),
        p99_9=us_to_ms(p[99.9]),
        max=us_to_ms(h.max),
    )


def _rate(per_worker: dict[str, list[float]], lengths: dict[str, float], index: int) -> float:
    """Sum over workers of count / seconds that worker measured (1 s if it measured none)."""
    return sum(c[index] / (lengths.get(w) or 1.0) for w, c in per_worker.items())


class Aggregator:
    """Merges ``IntervalStats`` from all workers; read by the console, reports and web UI.

    The caller keeps ``users`` current (``set_users``); each history second records the
    value it had when that second's intervals arrived.
    """

    def __init__(
        self, window_s: float = 10.0, history_limit: int = 3600, max_error_groups: int = 1000
    ) -> None:
        if window_s <= 0 or history_limit < 1 or max_error_groups < 1:
            raise ValueError("window_s must be > 0, history_limit and max_error_groups >= 1")
        self.window_s = window_s
        self.history_limit = history_limit
        self.max_error_groups = max_error_groups
        self.users = 0
        self.started_at: float = 0.0
        self.generator = GeneratorHealth()  # fed by the runner's heartbeats
        self.target_rate: float | None = None  # open model: the total rate asked for now
        # Called with (worker_id, interval) after each merge: the HDR interval log hooks here.
        self.interval_listeners: list[Callable[[str, IntervalStats], None]] = []
        self.reset(None)

    # -- input --

    def start(self, t: float) -> None:
        """Mark the run's start (epoch seconds): the origin of run-wide rates."""
        self.started_at = t

    def set_users(self, n: int) -> None:
        self.users = n

    def reset(self, t: float | None = None) -> None:
        """Forget everything merged so far and restart the clock at ``t`` (default: now)."""
        self.started_at = time.time() if t is None else t
        self._latest_ended: float | None = None
        self._totals: dict[StatsKey, _Totals] = {}
        self._total = _Totals()
        self.open = OpenTotals()
        self.generator.reset()
        self._errors: dict[tuple[str, str, str], int] = {}
        self._user_errors: dict[tuple[str, str], list[int | str]] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._live: dict[int, _Bucket] = {}

    def add(self, worker_id: str, interval: IntervalStats) -> None:
        """Merge one worker's interval into totals, its second's bucket and the window."""
        ended = interval.ended_at
        if self._latest_ended is None or ended > self._latest_ended:
            self._latest_ended = ended
        bucket = self._bucket(int(ended))
        slice_ = None
        if bucket is not None:
            bucket.users = self.users
            slice_ = bucket.workers.setdefault(worker_id, [0, 0, 0.0])
            slice_[2] += interval.ended_at - interval.started_at
        for e in interval.entries:
            key = StatsKey(e.method, e.name)
            # Only the non-zero counters are decoded (numpy), and merged by fancy-indexed adds:
            # hdrh's decode + add would touch all 23,552 counters four times per entry.
            hist = _decode(e.histogram)
            corrected = LatencyHistogram.from_bytes(e.corrected) if e.corrected else None
            per_key = self._totals.get(key)
            if per_key is None:
                per_key = self._totals[key] = _Totals()
            for tot in (per_key, self._total):
                tot.histogram.merge(hist)
                tot.requests += e.requests
                tot.failures += e.failures
                tot.bytes += e.bytes
                if corrected is not None:
                    if tot.corrected is None:
                        tot.corrected = LatencyHistogram()
                    tot.corrected.merge(corrected)
            if bucket is not None and slice_ is not None:
                self._add_to_bucket(bucket, slice_, key, worker_id, e.requests, e.failures, hist)
        for err in interval.errors:
            self._add_error(err)
        for ue in interval.user_errors:
            self._add_user_error(ue)
        if interval.open_model is not None:
            self.open.add(interval.open_model)
        self._finalize_old()
        for listener in self.interval_listeners:
            listener(worker_id, interval)

    @staticmethod
    def _add_to_bucket(
        b: _Bucket,
        slice_: list[float],
        key: StatsKey,
        worker_id: str,
        requests: int,
        failures: int,
        hist: LatencyHistogram | SparseCounts,
    ) -> None:
        slice_[0] += requests
        slice_[1] += failures
        kc = b.key_counts.setdefault((key, worker_id), [0, 0])
        kc[0] += requests
        kc[1] += failures
        if b.total is not None:  # still live: keep its histograms for window and history
            b.total.merge(hist)
            bh = b.hists.get(key)
            if bh is None:
                bh = b.hists[key] = LatencyHistogram()
            bh.merge(hist)

    def _add_error(self, err: ErrorStats) -> None:
        key = (err.method, err.name, err.error)
        if key in self._errors:
            self._errors[key] += err.count
        elif len(self._errors) < self.max_error_groups:
            self._errors[key] = err.count
        else:
            other = ("", "", OTHER_ERRORS)
            self._errors[other] = self._errors.get(other, 0) + err.count

    def _add_user_error(self, ue: UserErrorStats) -> None:
        key = (ue.kind, ue.message)
        group = self._user_errors.get(key)
        if group is None and len(self._user_errors) >= self.max_error_groups:
            key, ue = ("", OTHER_ERRORS), UserErrorStats("", OTHER_ERRORS, ue.count, "")
            group = self._user_errors.get(key)
        if group is None:
            self._user_errors[key] = [ue.count, ue.traceback]
        else:
            group[0] = int(group[0]) + ue.count

    def _bucket(self, t: int) -> _Bucket | None:
        """The bucket for second ``t``, made if needed; None if older than history keeps."""
        b = self._buckets.get(t)
        if b is not None:
            return b
        if len(self._buckets) >= self.history_limit:
            oldest = min(self._buckets)
            if t < oldest:
                return None
            del self._buckets[oldest]
            self._live.pop(oldest, None)
        b = self._buckets[t] = self._live[t] = _Bucket(t, self.users)
        return b

    def _finalize_old(self) -> None:
        """Collapse buckets past the window (+grace) to their percentiles, freeing histograms."""
        if self._latest_ended is None:
            return
        keep_from = self._window_start(self._latest_ended) - _GRACE_S
        for t in [t for t in self._live if t < keep_from]:
            b = self._live.pop(t)
            if b.total is not None:
                b.pcts = b.total.percentiles((50.0, 95.0, 99.0))
            b.total = None
            b.hists = {}
            b.key_counts = {}

    def _window_start(self, end: float) -> int:
        return math.floor(end - self.window_s) + 1

    # -- output --

    @property
    def duration_s(self) -> float:
        """Seconds from the run start to the end of the latest interval merged (>= 0)."""
        if self._latest_ended is None:
            return 0.0
        return max(0.0, self._latest_ended - self.started_at)

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        """One row per endpoint, sorted by (name, method).

        The "current" columns cover the last ``ceil(window_s)`` seconds ending at ``now``
        (default: the latest interval's end), so they fall to zero when traffic stops.
        """
        window = self._window(now)
        lengths = self._window_lengths(window)
        rows = []
        for key in sorted(self._totals, key=lambda k: (k.name, k.method)):
            per_worker: dict[str, list[float]] = {}
            hist = LatencyHistogram()
            for b in window:
                for w in b.workers:
                    kc = b.key_counts.get((key, w))
                    if kc is not None:
                        acc = per_worker.setdefault(w, [0, 0])
                        acc[0] += kc[0]
                        acc[1] += kc[1]
                bh = b.hists.get(key)
                if bh is not None:
                    hist.merge(bh)
            rows.append(
                self._row(key.method, key.name, self._totals[key], _rate(per_worker, lengths, 0), hist)
            )
        return rows

    def totals_row(self, now: float | None = None) -> EndpointRow:
        """All endpoints together: method "", name "Aggregated"."""
        window = self._window(now)
        lengths = self._window_lengths(window)
        per_worker: dict[str, list[float]] = {}
        hist = LatencyHistogram()
        for b in window:
            for w, c in b.workers.items():
                per_worker.setdefault(w, [0, 0])[0] += c[0]
            if b.total is not None:
                hist.merge(b.total)
        return self._row("", TOTAL_NAME, self._total, _rate(per_worker, lengths, 0), hist)

    def errors(self) -> list[ErrorStats]:
        """Request failures grouped by (method, name, error), most frequent first."""
        out = [ErrorStats(m, n, e, c) for (m, n, e), c in self._errors.items()]
        return sorted(out, key=lambda e: (-e.count, e.name, e.method, e.error))

    def user_errors(self) -> list[UserErrorStats]:
        """Exceptions from task code grouped by (type, message), most frequent first."""
        out = [UserErrorStats(k, m, int(g[0]), str(g[1])) for (k, m), g in self._user_errors.items()]
        return sorted(out, key=lambda u: (-u.count, u.kind, u.message))

    def history(self) -> list[HistoryPoint]:
        """One point per second that received intervals, oldest first (<= history_limit)."""
        points = []
        for t in sorted(self._buckets):
            b = self._buckets[t]
            lengths = {w: c[2] for w, c in b.workers.items()}
            pcts = b.total.percentiles((50.0, 95.0, 99.0)) if b.total is not None else b.pcts
            points.append(
                HistoryPoint(
                    t=float(t),
                    rps=_rate(b.workers, lengths, 0),
                    failures_per_s=_rate(b.workers, lengths, 1),
                    users=b.users,
                    p50=us_to_ms(pcts.get(50.0, 0)),
                    p95=us_to_ms(pcts.get(95.0, 0)),
                    p99=us_to_ms(pcts.get(99.0, 0)),
                )
            )
        return points

    def _window(self, now: float | None) -> list[_Bucket]:
        end = self._latest_ended if now is None else now
        if end is None:
            return []
        lo, hi = self._window_start(end), math.floor(end)
        return [b for t, b in self._live.items() if lo <= t <= hi]

    @staticmethod
    def _window_lengths(window: list[_Bucket]) -> dict[str, float]:
        lengths: dict[str, float] = {}
        for b in window:
            for w, c in b.workers.items():
                lengths[w] = lengths.get(w, 0.0) + c[2]
        return lengths

    def _row(
        self, method: str, name: str, tot: _Totals, current_rps: float, cur: LatencyHistogram
    ) -> EndpointRow:
        duration = self.duration_s
        cp = cur.percentiles((50.0, 95.0, 99.0))
        return EndpointRow(
            method=method,
            name=name,
            requests=tot.requests,
            failures=tot.failures,
            rps=tot.requests / duration if duration > 0 else 0.0,
            failures_per_s=tot.failures / duration if duration > 0 else 0.0,
            bytes_avg=tot.bytes / tot.requests if tot.requests else 0.0,
            latency=summarize(tot.histogram),
            current_rps=current_rps,
            current_p50=us_to_ms(cp[50.0]),
            current_p95=us_to_ms(cp[95.0]),
            current_p99=us_to_ms(cp[99.0]),
            corrected_latency=summarize(tot.corrected) if tot.corrected is not None else None,
        )

    def open_summary(self) -> OpenModelSummary | None:
        """Open-model arrivals, drops, lateness and schedule lag; None in a closed-model run."""
        if self.target_rate is None and not self.open.seen:
            return None
        o, duration = self.open, self.duration_s
        return OpenModelSummary(
            target_rate=self.target_rate or 0.0,
            iterations=o.iterations,
            achieved_rate=o.iterations / duration if duration > 0 else 0.0,
            dropped=o.dropped,
            late=o.late,
            schedule_lag=summarize(o.lag),
        )

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        """A copy of the cumulative histogram of ``key`` (None: all endpoints together)."""
        tot = self._total if key is None else self._totals.get(key)
        return tot.histogram.copy() if tot is not None else LatencyHistogram()
