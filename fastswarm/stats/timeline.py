"""The master's per-second view of merged intervals: the sliding window and the history.

Each interval lands in the second it ended in (``int(ended_at)``). A second keeps, while it
is live, its all-endpoint counters and the sparse per-endpoint counters merged into it; the
window's per-endpoint counters are one ``CountsTable`` kept current as intervals arrive and
as seconds leave the window (their sparse counters are subtracted), so reading "current"
percentiles costs one pass over the window's counters, not a merge of ten seconds of
histograms. Seconds past the window (plus a short grace for late intervals) collapse into
their percentiles and per-worker counts; ``SEAL_AFTER_S`` later (when no interval can still
be on its way) into one ``HistoryPoint``. The history is a ring of at most ``history_limit``
seconds (a ``deque`` of sealed points and the few seconds not sealed yet): the oldest is
dropped as each new one comes. Nothing here grows with the run's length, and what grows
with the number of names grows with the traffic they had.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from fastswarm.stats.counts_table import CountsTable
from fastswarm.stats.hdr_sparse import COUNTS_LEN
from fastswarm.stats.histogram import CountsSummary, summarize_counts
from fastswarm.stats.model import HistoryPoint, us_to_ms

GRACE_S = 2  # seconds a second keeps its counters after leaving the window
SEAL_AFTER_S = 60  # seconds after that before it becomes a fixed history point
HISTORY_PCTS = (50.0, 95.0, 99.0)
Sparse = tuple[np.ndarray, np.ndarray]  # flat indexes (row << ROW_SHIFT | counter), counts


@dataclass(slots=True)
class Second:
    """One wall-clock second of intervals.

    ``workers`` maps worker -> [requests, failures, seconds measured]. While live, ``total``
    holds all endpoints' counters, ``parts`` the sparse per-endpoint counters merged into it
    and ``key_requests`` each worker's (rows, requests) per interval; once finalized only
    ``pcts`` (µs) is kept. ``in_window``: its parts are in the timeline's window table.
    """

    t: int
    users: int
    in_window: bool
    workers: dict[str, list[float]] = field(default_factory=dict)
    key_requests: dict[str, list[Sparse]] = field(default_factory=dict)
    total: np.ndarray | None = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # grown to need
    parts: list[Sparse] = field(default_factory=list)
    pcts: dict[float, int] = field(default_factory=dict)
    target_rate: float | None = None  # open model: the rate asked for when it last took an interval

    def percentiles(self, width: int) -> dict[float, int]:
        """p50/p95/p99 (µs) of all endpoints in this second (``width``: counters in use)."""
        if self.total is None:
            return self.pcts
        return summarize_counts(self.total[None, :width], HISTORY_PCTS, with_mean=False)[0].percentiles


def rate(per_worker: dict[str, list[float]], lengths: dict[str, float], index: int) -> float:
    """Sum over workers of count / seconds that worker measured (1 s if it measured none)."""
    return sum(c[index] / (lengths.get(w) or 1.0) for w, c in per_worker.items())


class Timeline:
    """Seconds of merged intervals: the window (``window_s``) and ``history_limit`` seconds."""

    def __init__(self, window_s: float, history_limit: int) -> None:
        self.window_s = window_s
        self.history_limit = history_limit
        self.latest: float | None = None  # the latest interval end merged
        self._win_from: int | None = None  # the window's first second at ``latest``
        self._win = CountsTable()  # per-endpoint counters of the seconds ``in_window``
        self._seconds: dict[int, Second] = {}  # not sealed yet (live, or finalized)
        self._live: dict[int, Second] = {}
        self._sealed: deque[HistoryPoint] = deque(maxlen=history_limit)  # oldest first

    def window_start(self, end: float) -> int:
        return math.floor(end - self.window_s) + 1

    def second(self, ended: float, users: int, target_rate: float | None = None) -> Second | None:
        """The second an interval ending at ``ended`` belongs to (the window moves on first);
        None if it is sealed already or older than the history keeps (then only the run's
        totals count it)."""
        if self.latest is None or ended > self.latest:
            self.latest = ended
            start = self.window_start(ended)
            if self._win_from is None or start > self._win_from:
                self._win_from = start
                for old in self._live.values():
                    if old.in_window and old.t < start:
                        self._leave_window(old)
        t = int(ended)
        s = self._seconds.get(t)
        if s is None:
            if self._sealed and t <= self._sealed[-1].t:
                return None
            if self._sealed and len(self._sealed) + len(self._seconds) >= self.history_limit:
                self._sealed.popleft()
            elif len(self._seconds) >= self.history_limit:
                oldest = min(self._seconds)
                if t < oldest:
                    return None
                gone = self._seconds.pop(oldest)
                self._live.pop(oldest, None)
                if gone.in_window:
                    self._leave_window(gone)
            in_window = self._win_from is not None and t >= self._win_from
            s = self._seconds[t] = self._live[t] = Second(t, users, in_window)
        s.users, s.target_rate = users, target_rate
        return s

    def add(
        self,
        s: Second,
        worker_id: str,
        counts: tuple[int, int, float],
        rows: np.ndarray,
        requests: np.ndarray,
        sparse: Sparse,
        index: np.ndarray,
        width: int,
    ) -> None:
        """Merge one interval into ``s``: its (requests, failures, seconds), per-row requests
        and non-zero counters (``sparse``; ``index``: each one's counter)."""
        slice_ = s.workers.setdefault(worker_id, [0, 0, 0.0])
        slice_[0] += counts[0]
        slice_[1] += counts[1]
        slice_[2] += counts[2]
        if s.total is None:
            return  # finalized: only its rates still take late intervals
        if len(index):
            if width > len(s.total):
                grown = np.zeros(width, dtype=np.int64)
                grown[: len(s.total)] = s.total
                s.total = grown
            np.add.at(s.total, index, sparse[1])
            s.parts.append(sparse)
            if s.in_window:
                self._win.add(sparse[0], sparse[1], width)
        if len(rows):
            s.key_requests.setdefault(worker_id, []).append((rows, requests))

    def finalize_old(self, width: int) -> None:
        """Collapse seconds past the window (+grace) to their percentiles, freeing counters;
        seal those ``SEAL_AFTER_S`` older into history points."""
        if self._win_from is None:
            return
        keep_from = self._win_from - GRACE_S
        for t in [t for t in self._live if t < keep_from]:
            s = self._live.pop(t)
            if s.in_window:
                self._leave_window(s)
            s.pcts = s.percentiles(width)
            s.total = None
            s.parts = []
            s.key_requests = {}
        seal_before = keep_from - SEAL_AFTER_S
        if self._seconds and min(self._seconds) < seal_before:
            for t in sorted(t for t in self._seconds if t < seal_before and t not in self._live):
                self._sealed.append(_point(self._seconds.pop(t), width))

    def _leave_window(self, s: Second) -> None:
        for flat, counts in s.parts:
            self._win.subtract(flat, counts)
        s.in_window = False

    # -- reads --

    def window(self, now: float | None) -> list[Second]:
        """The live seconds of the window ending at ``now`` (default: the latest end)."""
        end = self.latest if now is None else now
        if end is None:
            return []
        lo, hi = self.window_start(end), math.floor(end)
        return [s for t, s in self._live.items() if lo <= t <= hi]

    def window_summaries(self, window: list[Second], rows: int, ps: tuple[float, ...]) -> list[CountsSummary]:
        """Per-endpoint percentiles ``ps`` of ``window``: from the kept table when that is the
        window asked for (the console's case), else summed from the seconds' sparse parts."""
        kept = [s for s in self._live.values() if s.in_window]
        if len(kept) == len(window) and all(s.in_window for s in window):
            return self._win.summaries(rows, ps, with_mean=False)
        table = CountsTable()
        for s in window:
            for flat, counts in s.parts:
                table.add(flat, counts, self._win.width)
        return table.summaries(rows, ps, with_mean=False)

    @staticmethod
    def lengths(window: list[Second]) -> dict[str, float]:
        """Seconds each worker measured in ``window``."""
        out: dict[str, float] = {}
        for s in window:
            for w, c in s.workers.items():
                out[w] = out.get(w, 0.0) + c[2]
        return out

    @staticmethod
    def row_rates(window: list[Second], lengths: dict[str, float], rows: int) -> list[float]:
        """Requests per second of each endpoint row over ``window`` (each worker's count over
        the time it measured, summed over workers)."""
        per_worker: dict[str, list[Sparse]] = {}
        for s in window:
            for w, parts in s.key_requests.items():
                per_worker.setdefault(w, []).extend(parts)
        out = np.zeros(rows)
        for w, parts in per_worker.items():
            at = np.concatenate([p[0] for p in parts])
            requests = np.concatenate([p[1] for p in parts])
            # Whole counts summed in float64 (exact below 2**53), then over the worker's time.
            counts = np.bincount(at, weights=requests, minlength=rows)[:rows]
            out += counts / (lengths.get(w) or 1.0)
        return list(out.tolist())

    @staticmethod
    def totals(window: list[Second]) -> tuple[dict[str, list[float]], np.ndarray]:
        """Each worker's requests, and all endpoints' counters, over ``window``."""
        per_worker: dict[str, list[float]] = {}
        counts = np.zeros(COUNTS_LEN, dtype=np.int64)
        for s in window:
            for w, c in s.workers.items():
                per_worker.setdefault(w, [0, 0])[0] += c[0]
            if s.total is not None:
                counts[: len(s.total)] += s.total
        return per_worker, counts

    def history(self, width: int) -> list[HistoryPoint]:
        """One point per second that received intervals, oldest first (<= history_limit)."""
        return [*self._sealed, *(_point(self._seconds[t], width) for t in sorted(self._seconds))]


def _point(s: Second, width: int) -> HistoryPoint:
    """A second's history point: each worker's counts over the time it measured, and the
    percentiles of all endpoints (µs -> ms)."""
    lengths = {w: c[2] for w, c in s.workers.items()}
    pcts = s.percentiles(width)
    return HistoryPoint(
        t=float(s.t),
        rps=rate(s.workers, lengths, 0),
        failures_per_s=rate(s.workers, lengths, 1),
        users=s.users,
        p50=us_to_ms(pcts.get(50.0, 0)),
        p95=us_to_ms(pcts.get(95.0, 0)),
        p99=us_to_ms(pcts.get(99.0, 0)),
        target_rate=s.target_rate,
    )
