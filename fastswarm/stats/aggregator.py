"""Master-side merge of the workers' interval stats into run totals, a window and history.

Everything is built from the workers' HDR histograms by exact counter addition, so a
merged percentile equals the percentile of one histogram fed every sample. Rates are
measured, never estimated: run rates divide by (latest interval end - run start), and
per-second / window rates divide each worker's counts by the time its intervals covered.

Cost (issue 3: 64 workers x 100 endpoints reporting every second within 10 % of a core):
a report's histograms are decoded together in one numpy pass (``hdr_sparse.decode_batch``)
and added in a few vectorised steps into per-endpoint counter rows (``CountsTable``) for
the run, and into the window's rows (``timeline``). Reads (console, web, reports) compute
every row's percentiles from those tables in a few numpy passes, cached until the next merge.

Memory (issue 11) is bounded and sized by what was recorded: at most ``max_names``
(method, name) rows, requests to later names counted in one ``(method, OTHER_NAME)`` row
each (a one-time warning says so, and ``names_capped`` is set); per row, its non-zero
counters in the run's and the window's tables (dense only for busy rows); per second
still in the window (+ a short grace), its sparse counters; older seconds keep only their
summary, at most ``history_limit`` of them. Error groups are normalised and capped
(``error_groups``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from fastswarm.stats.blob_decode import decode_blobs
from fastswarm.stats.counts_table import ROW_SHIFT, CountsTable
from fastswarm.stats.error_groups import OTHER_NAME, CapWarnings, ErrorGroups, UserErrorGroups
from fastswarm.stats.hdr_sparse import COUNTS_LEN, SparseCounts, merge_counts
from fastswarm.stats.histogram import (
    CountsSummary,
    LatencyHistogram,
    summarize_counts,
)
from fastswarm.stats.model import (
    LATENCY_PCTS,
    EndpointRow,
    EntryStats,
    ErrorStats,
    HistoryPoint,
    IntervalStats,
    LatencySummary,
    StatsKey,
    UserErrorStats,
    us_to_ms,
)
from fastswarm.stats.open_stats import GeneratorHealth, OpenModelSummary, OpenTotals
from fastswarm.stats.timeline import HISTORY_PCTS, Timeline, rate

log = logging.getLogger(__name__)

TOTAL_NAME = "Aggregated"
# An entry's fields, read in C (map) rather than a Python loop: 6,400 entries a second.
_KEY_OF = attrgetter("method", "name")
_COUNTERS_OF = attrgetter("requests", "failures", "bytes")
_HISTOGRAM_OF = attrgetter("histogram")
_CORRECTED_OF = attrgetter("corrected")


class Aggregator:
    """Merges ``IntervalStats`` from all workers; read by the console, reports and web UI.

    The caller keeps ``users`` current (the master's heartbeat loop sets it); each history
    second records the value it had when that second's intervals arrived.
    """

    def __init__(
        self,
        window_s: float = 10.0,
        history_limit: int = 3600,
        max_error_groups: int = 1000,
        max_names: int = 2000,
    ) -> None:
        if window_s <= 0 or history_limit < 1 or max_error_groups < 1 or max_names < 1:
            raise ValueError("window_s must be > 0, history_limit, max_error_groups and max_names >= 1")
        self.window_s = window_s
        self.history_limit = history_limit
        self.max_error_groups = max_error_groups
        self.max_names = max_names
        self._warnings = CapWarnings(log, max_names, max_error_groups)  # kept across resets
        self.users = 0
        self.started_at: float = 0.0
        self.generator = GeneratorHealth()  # fed by the runner's heartbeats
        self.target_rate: float | None = None  # open model: the total rate asked for now
        # Called after each merge: (worker_id, interval); (interval, its counters as decoded).
        self.interval_listeners: list[Callable[[str, IntervalStats], None]] = []
        self.counts_listeners: list[Callable[[IntervalStats, SparseCounts], None]] = []
        self._version = 0  # reads are cached until it changes
        self.reset(None)

    # -- input --

    def start(self, t: float) -> None:
        """Mark the run's start (epoch seconds): the origin of run-wide rates."""
        self.started_at = t
        self._version += 1

    def reset(self, t: float | None = None) -> None:
        """Forget everything merged so far and restart the clock at ``t`` (default: now)."""
        self.started_at = time.time() if t is None else t
        self._timeline = Timeline(self.window_s, self.history_limit)
        self._rows: dict[StatsKey, int] = {}  # endpoint -> its row in the tables
        self._keys: list[StatsKey] = []
        self._named = 0  # rows that are not OTHER_NAME rows
        self.names_capped = False  # some requests are counted in an OTHER_NAME row
        self._counters = np.zeros((8, 3), dtype=np.int64)  # per row: requests, failures, bytes
        self._all_counters = [0, 0, 0]
        self._has_corrected: list[bool] = []
        self._cum = CountsTable()  # the run's counters per endpoint
        self._cum_corrected = CountsTable()  # open model: corrected latency
        self._all = np.zeros(COUNTS_LEN, dtype=np.int64)  # all endpoints, whole run
        self._all_corrected: np.ndarray | None = None
        self.open = OpenTotals()
        self.generator.reset()
        self._errors = ErrorGroups(self.max_error_groups)
        self._user_errors = UserErrorGroups(self.max_error_groups)
        self._version += 1
        self._cache: dict[str, tuple[Any, Any]] = {}

    def add(self, worker_id: str, interval: IntervalStats) -> None:
        """Merge one worker's interval into totals, its second's bucket and the window.

        ValueError, with nothing merged, when one of its histograms is not a histogram:
        they are decoded before anything changes, so an interval counts whole or not at all.
        """
        entries = interval.entries
        decoded = decode_blobs(list(map(_HISTOGRAM_OF, entries))) if entries else None
        corrected = list(map(_CORRECTED_OF, entries))
        corrected_decoded = decode_blobs([c for c in corrected if c]) if any(corrected) else None
        self._version += 1
        second = self._timeline.second(interval.ended_at, self.users, self.target_rate)
        # StatsKey is a NamedTuple: the plain (method, name) tuple finds it.
        rows_list = list(map(self._rows.get, map(_KEY_OF, entries)))  # type: ignore[arg-type]
        if None in rows_list:
            rows_list = [self._row_of(e) for e in entries]
        rows = np.asarray(rows_list, dtype=np.intp)
        counters = np.array(list(map(_COUNTERS_OF, entries)), dtype=np.int64).reshape(-1, 3)
        np.add.at(self._counters, rows, counters)
        done = counters.sum(axis=0).tolist()
        for i in range(3):
            self._all_counters[i] += done[i]
        width = 0
        flat, index, counts = rows, rows, rows  # empty placeholders when there are no entries
        if decoded is not None:
            owner, index, counts = decoded
            flat = (rows[owner].astype(np.int64) << ROW_SHIFT) + index
            width = int(index.max()) + 1 if len(index) else 0
            self._cum.add(flat, counts, width)
            np.add.at(self._all, index, counts)
        if second is not None:
            span = (done[0], done[1], interval.ended_at - interval.started_at)
            self._timeline.add(second, worker_id, span, rows, counters[:, 0], (flat, counts), index, width)
        if corrected_decoded is not None:
            with_corrected = [r for r, c in zip(rows_list, corrected, strict=True) if c]
            self._add_corrected(with_corrected, corrected_decoded)
        for err in interval.errors:
            self._errors.add(err.method, self._name_of(err.method, err.name), err.error, err.count)
        for ue in interval.user_errors:
            self._user_errors.add(ue.kind, ue.message, ue.count, ue.traceback)
        self._warnings.check(self.names_capped, self._errors, self._user_errors)
        if interval.open_model is not None:
            self.open.add(interval.open_model)
        self._timeline.finalize_old(self._cum.width)
        for listener in self.interval_listeners:
            listener(worker_id, interval)
        if self.counts_listeners:
            merged = merge_counts(index, counts)
            for counts_listener in self.counts_listeners:
                counts_listener(interval, merged)

    def _row_of(self, e: EntryStats) -> int:
        key = StatsKey(e.method, e.name)
        row = self._rows.get(key)
        if row is None:
            if e.name == OTHER_NAME:
                self.names_capped = True  # a worker reached its cap
            elif self._named >= self.max_names:
                self.names_capped = True
                return self._row_of(EntryStats(e.method, OTHER_NAME, 0, 0, 0, b""))
            else:
                self._named += 1
            row = self._rows[key] = len(self._keys)
            self._keys.append(key)
            self._has_corrected.append(False)
            if row >= len(self._counters):
                self._counters = np.concatenate((self._counters, np.zeros_like(self._counters)))
        return row

    def _name_of(self, method: str, name: str) -> str:
        """The name an error of (method, name) is counted under: OTHER_NAME when that name
        got no row of its own because the cap was reached."""
        if self._named < self.max_names or not name or (method, name) in self._rows:
            return name
        return OTHER_NAME

    def _add_corrected(
        self, with_none: list[int | None], decoded: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> None:
        rows = [r for r in with_none if r is not None]
        owner, index, counts = decoded
        flat = (np.asarray(rows, dtype=np.int64)[owner] << ROW_SHIFT) + index
        self._cum_corrected.add(flat, counts, int(index.max()) + 1 if len(index) else 0)
        if self._all_corrected is None:
            self._all_corrected = np.zeros(COUNTS_LEN, dtype=np.int64)
        np.add.at(self._all_corrected, index, counts)
        for r in rows:
            self._has_corrected[r] = True

    # -- output --

    @property
    def duration_s(self) -> float:
        """Seconds from the run start to the end of the latest interval merged (>= 0)."""
        latest = self._timeline.latest
        return 0.0 if latest is None else max(0.0, latest - self.started_at)

    @property
    def histogram_bytes(self) -> int:
        """Bytes held by the run's per-endpoint latency counters (measured and corrected): what
        grows, by design, with the distinct latencies each name recorded (sparse, 16 bytes a
        counter; a busy name's dense row is 184 KB)."""
        return self._cum.nbytes + self._cum_corrected.nbytes

    def _cached(self, name: str, now: float | None, build: Callable[[], Any]) -> Any:
        """``build()``, reused until the next merge, reset or start (reads come in bursts:
        the console, /stats, /metrics and the reports all ask for the same rows)."""
        stamp = (self._version, self.started_at, now)
        hit = self._cache.get(name)
        if hit is None or hit[0] != stamp:
            hit = self._cache[name] = (stamp, build())
        return hit[1]

    def endpoint_rows(self, now: float | None = None) -> list[EndpointRow]:
        """One row per endpoint, sorted by (name, method).

        The "current" columns cover the last ``ceil(window_s)`` seconds ending at ``now``
        (default: the latest interval's end), so they fall to zero when traffic stops.
        """
        return list(self._cached("rows", now, lambda: self._endpoint_rows(now)))

    def _endpoint_rows(self, now: float | None) -> list[EndpointRow]:
        n = len(self._keys)
        if not n:
            return []
        tl = self._timeline
        window = tl.window(now)
        rps = tl.row_rates(window, tl.lengths(window), n)
        current = tl.window_summaries(window, n, HISTORY_PCTS)
        runs = self._cum.summaries(n, LATENCY_PCTS)
        corrected = []
        if any(self._has_corrected):
            corrected = self._cum_corrected.summaries(n, LATENCY_PCTS)
        counters = self._counters[:n].tolist()
        rows = []
        for r in sorted(range(n), key=lambda r: (self._keys[r].name, self._keys[r].method)):
            key = self._keys[r]
            corr = LatencySummary.of(corrected[r]) if self._has_corrected[r] else None
            rows.append(self._row(key.method, key.name, counters[r], runs[r], rps[r], current[r], corr))
        return rows

    def totals_row(self, now: float | None = None) -> EndpointRow:
        """All endpoints together: method "", name "Aggregated"."""
        row: EndpointRow = self._cached("totals", now, lambda: self._totals_row(now))
        return row

    def _totals_row(self, now: float | None) -> EndpointRow:
        tl = self._timeline
        window = tl.window(now)
        per_worker, counts = tl.totals(window)
        width = self._cum.width
        current = summarize_counts(counts[None, :width], HISTORY_PCTS, with_mean=False)[0]
        run = summarize_counts(self._all[None, :width], LATENCY_PCTS)[0]
        corr = None
        if self._all_corrected is not None:
            corr = LatencySummary.of(summarize_counts(self._all_corrected[None, :], LATENCY_PCTS)[0])
        rps = rate(per_worker, tl.lengths(window), 0)
        return self._row("", TOTAL_NAME, self._all_counters, run, rps, current, corr)

    def errors(self) -> list[ErrorStats]:
        """Request failures grouped by (method, name, error), most frequent first."""
        return sorted(self._errors.stats(), key=lambda e: (-e.count, e.name, e.method, e.error))

    def user_errors(self) -> list[UserErrorStats]:
        """Exceptions from task code grouped by (type, message), most frequent first."""
        return sorted(self._user_errors.stats(), key=lambda u: (-u.count, u.kind, u.message))

    def history(self) -> list[HistoryPoint]:
        """One point per second that received intervals, oldest first (<= history_limit)."""
        return list(self._cached("history", None, lambda: self._timeline.history(self._cum.width)))

    def _row(
        self,
        method: str,
        name: str,
        counters: list[int],
        run: CountsSummary,
        current_rps: float,
        cur: CountsSummary,
        corrected: LatencySummary | None,
    ) -> EndpointRow:
        duration = self.duration_s
        requests, failures, nbytes = counters
        cp = cur.percentiles
        return EndpointRow(
            method=method,
            name=name,
            requests=requests,
            failures=failures,
            rps=requests / duration if duration > 0 else 0.0,
            failures_per_s=failures / duration if duration > 0 else 0.0,
            bytes_avg=nbytes / requests if requests else 0.0,
            latency=LatencySummary.of(run),
            current_rps=current_rps,
            current_p50=us_to_ms(cp[50.0]),
            current_p95=us_to_ms(cp[95.0]),
            current_p99=us_to_ms(cp[99.0]),
            corrected_latency=corrected,
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
            schedule_lag=LatencySummary.of(o.lag.summary(LATENCY_PCTS)),
        )

    def run_counts(self, block: int = 64) -> Iterator[tuple[list[StatsKey], np.ndarray, np.ndarray]]:
        """Every endpoint (first seen first) in blocks of ``block``: the keys, their run counters
        (requests, failures) and their HDR counter rows, dense, for exports that re-bucket them
        (--otel). Blocks keep the dense copy small however many names there are."""
        n = len(self._keys)
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            rows = np.stack([self._cum.row(r) for r in range(lo, hi)])
            yield list(self._keys[lo:hi]), self._counters[lo:hi, :2].copy(), rows

    def latency(self, keys: Iterable[StatsKey] | None, ps: Sequence[float]) -> CountsSummary:
        """Count, min, max, mean and percentiles ``ps`` (µs) of the requests to ``keys``
        together (None: all endpoints): what checks and reports read, as the rows are read."""
        if keys is None:
            return summarize_counts(self._all[None, :], ps)[0]
        counts = np.zeros((1, self._cum.width), dtype=np.int64)
        for key in keys:
            if key in self._rows:
                counts[0] += self._cum.row(self._rows[key])
        return summarize_counts(counts, ps)[0]

    def histogram(self, key: StatsKey | None = None) -> LatencyHistogram:
        """A copy of the cumulative histogram of ``key`` (None: all endpoints together)."""
        if key is None:
            return LatencyHistogram.from_counts(self._all)
        row = self._rows.get(key)
        return LatencyHistogram() if row is None else LatencyHistogram.from_counts(self._cum.row(row))

    def corrected_histogram(self, key: StatsKey | None = None) -> LatencyHistogram | None:
        """A copy of the cumulative corrected-latency histogram of ``key`` (None: all endpoints
        together); None where no corrected latency was recorded (closed model)."""
        if key is None:
            return None if self._all_corrected is None else LatencyHistogram.from_counts(self._all_corrected)
        row = self._rows.get(key)
        if row is None or not self._has_corrected[row]:
            return None
        return LatencyHistogram.from_counts(self._cum_corrected.row(row))
