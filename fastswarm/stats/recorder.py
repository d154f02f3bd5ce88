"""Worker-side recording: every request lands here, so ``record`` is kept minimal.

One ``Recorder`` per worker process. The runtime calls ``take_interval`` on a timer, ships
the ``IntervalStats`` to the master and the recorder starts a fresh interval; nothing here
knows about sockets or greenlets (gevent is cooperative, so no locking is needed either).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from fastswarm.stats.histogram import (
    BUCKET_BITS,
    HALF_COUNT,
    HALF_MAG,
    HIGHEST_US,
    SUB_BUCKET_MASK,
    LatencyHistogram,
)
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats, UserErrorStats
from fastswarm.stats.open_stats import ArrivalCounters
from fastswarm.stats.sparse_histogram import SparseHistogram

OTHER_ERRORS = "other errors (error group limit reached)"
"""Error text of the single overflow group once ``max_error_groups`` distinct ones exist."""


class _Entry:
    """Mutable per-(method, name) counters; slotted for cheap attribute updates.

    ``counts`` is its histogram's counter dict, bumped inline by ``Recorder.record``.
    """

    __slots__ = ("requests", "failures", "bytes", "histogram", "counts", "corrected")

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.bytes = 0
        self.histogram = SparseHistogram()
        self.counts = self.histogram.counts
        self.corrected: SparseHistogram | None = None  # open model only


class Recorder:
    """Per-endpoint HDR histograms and counters, plus grouped request and user errors.

    Histograms are sparse (``SparseHistogram``): a name costs what it recorded, not the
    184 KB of a full hdrh counter array.
    Distinct error groups (request errors, and user errors, each) are capped at
    ``max_error_groups`` per interval; beyond that, occurrences go to one ``OTHER_ERRORS``
    group with empty method/name, so counts are never lost and memory stays bounded.
    """

    def __init__(self, max_error_groups: int = 1000) -> None:
        if max_error_groups < 1:
            raise ValueError("max_error_groups must be >= 1")
        self.max_error_groups = max_error_groups
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._errors: dict[tuple[str, str, str], int] = {}
        self._user_errors: dict[tuple[str, str], list[int | str]] = {}
        self._scratch: LatencyHistogram | None = None  # encodes the sparse histograms
        self._started_at = time.time()
        self.arrivals: ArrivalCounters | None = None
        self._planned_start: Callable[[], float | None] | None = None

    def enable_open_model(
        self, planned_start: Callable[[], float | None], arrivals: ArrivalCounters
    ) -> None:
        """Also record corrected latency (open model); ``planned_start()`` gives the current
        iteration's planned start (perf_counter s) or None outside one.

        ``record`` is swapped for ``_record_corrected`` on this instance only, so the closed
        model's per-request path stays exactly as cheap as before.
        """
        self._planned_start = planned_start
        self.arrivals = arrivals
        self.record = self._record_corrected  # type: ignore[method-assign]

    def disable_open_model(self) -> None:
        self.__dict__.pop("record", None)
        self._planned_start = None
        self.arrivals = None

    def _record_corrected(
        self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None
    ) -> None:
        """``record`` plus the corrected latency: completion - the iteration's planned start."""
        Recorder.record(self, method, name, elapsed_us, length, error)
        planned = self._planned_start() if self._planned_start is not None else None
        corrected = elapsed_us if planned is None else int((time.perf_counter() - planned) * 1e6)
        entry = self._entries[(method, name)]
        hist = entry.corrected
        if hist is None:
            hist = entry.corrected = SparseHistogram()
        hist.record(corrected if corrected > elapsed_us else elapsed_us)

    def record(self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None) -> None:
        """Count one request (a failure when ``error`` is its message). The hot path.

        The latency goes straight into the row's sparse counters, at hdrh's counter index
        (``LatencyHistogram.record``'s arithmetic, clamped to 1 µs .. 1 h the same way).
        """
        entry = self._entries.get((method, name))
        if entry is None:
            entry = self._entries[(method, name)] = _Entry()
        entry.requests += 1
        entry.bytes += length
        us = elapsed_us
        if us < 1:
            us = 1
        elif us > HIGHEST_US:
            us = HIGHEST_US
        bucket = (us | SUB_BUCKET_MASK).bit_length() - BUCKET_BITS
        entry.counts[((bucket + 1) << HALF_MAG) + (us >> bucket) - HALF_COUNT] += 1
        if error is not None:
            entry.failures += 1
            key = (method, name, error)
            errors = self._errors
            if key in errors:
                errors[key] += 1
            elif len(errors) < self.max_error_groups:
                errors[key] = 1
            else:
                other = ("", "", OTHER_ERRORS)
                errors[other] = errors.get(other, 0) + 1

    def record_user_error(self, exc: BaseException) -> None:
        """Count an exception from task code, keeping the first traceback of each kind."""
        key = (type(exc).__name__, str(exc))
        group = self._user_errors.get(key)
        if group is not None:
            group[0] = int(group[0]) + 1
        elif len(self._user_errors) < self.max_error_groups:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self._user_errors[key] = [1, text]
        else:
            other = self._user_errors.setdefault(("", OTHER_ERRORS), [0, ""])
            other[0] = int(other[0]) + 1

    def take_interval(self, now: float | None = None) -> IntervalStats:
        """Return everything recorded since the last call and start a new interval.

        Each row's counters are encoded and cleared (giving their memory back); rows with
        no requests this interval are left out.
        """
        ended_at = time.time() if now is None else now
        # A wall clock stepped backwards must not make an invalid interval.
        started_at = min(self._started_at, ended_at)
        scratch = self._scratch
        if scratch is None:
            scratch = self._scratch = LatencyHistogram()
        entries = []
        for (method, name), e in self._entries.items():
            if not e.requests:
                continue
            corrected = b""
            if e.corrected is not None and e.corrected.counts:
                corrected = e.corrected.to_bytes(scratch)
                e.corrected.reset()
            histogram = e.histogram.to_bytes(scratch)
            entries.append(EntryStats(method, name, e.requests, e.failures, e.bytes, histogram, corrected))
            e.requests = e.failures = e.bytes = 0
            e.histogram.reset()
        errors = tuple(ErrorStats(m, n, err, c) for (m, n, err), c in self._errors.items())
        user_errors = tuple(
            UserErrorStats(kind, msg, int(g[0]), str(g[1])) for (kind, msg), g in self._user_errors.items()
        )
        self._errors.clear()
        self._user_errors.clear()
        self._started_at = ended_at
        open_model = self.arrivals.take() if self.arrivals is not None else None
        return IntervalStats(started_at, ended_at, tuple(entries), errors, user_errors, open_model)

    def reset(self, now: float | None = None) -> None:
        """Drop everything recorded and start a new interval at ``now`` (default: the clock)."""
        self._entries.clear()
        self._errors.clear()
        self._user_errors.clear()
        self._started_at = time.time() if now is None else now
        if self.arrivals is not None:
            self.arrivals.take()
