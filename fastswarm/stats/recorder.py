"""Worker-side recording: every request lands here, so ``record`` is kept minimal.

One ``Recorder`` per worker process. The runtime calls ``take_interval`` on a timer, ships
the ``IntervalStats`` to the master and the recorder starts a fresh interval; nothing here
knows about sockets or greenlets (gevent is cooperative, so no locking is needed either).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import NamedTuple

from fastswarm.stats.error_groups import OTHER_ERRORS as OTHER_ERRORS
from fastswarm.stats.error_groups import OTHER_NAME as OTHER_NAME
from fastswarm.stats.error_groups import CapWarnings, ErrorGroups, UserErrorGroups
from fastswarm.stats.histogram import (
    BUCKET_BITS,
    HALF_COUNT,
    HALF_MAG,
    HIGHEST_US,
    SUB_BUCKET_MASK,
    LatencyHistogram,
)
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats
from fastswarm.stats.open_stats import ArrivalCounters
from fastswarm.stats.sparse_histogram import SparseHistogram

log = logging.getLogger(__name__)

class _Entry:
    """Mutable per-(method, name) counters; slotted for cheap attribute updates.

    ``name`` is the row's own name (``OTHER_NAME`` for the overflow row); ``counts`` is its
    histogram's counter dict, bumped inline by ``Recorder.record``.
    """

    __slots__ = ("name", "requests", "failures", "bytes", "histogram", "counts", "corrected")

    def __init__(self, name: str) -> None:
        self.name = name
        self.requests = 0
        self.failures = 0
        self.bytes = 0
        self.histogram = SparseHistogram()
        self.counts = self.histogram.counts
        self.corrected: SparseHistogram | None = None  # open model only


class LiveRow(NamedTuple):
    """One row of the interval so far, as ``Recorder.live_rows`` shows it (not a copy)."""

    method: str
    name: str
    requests: int
    failures: int
    bytes: int
    histogram: SparseHistogram


class Recorder:
    """Per-endpoint HDR histograms and counters, plus grouped request and user errors.

    Bounded: at most ``max_names`` distinct (method, name) rows; requests to names beyond
    them are counted in one ``(method, OTHER_NAME)`` row per method, and the first interval
    after that happens logs a one-time warning (the master warns too, seeing that row).
    Histograms are sparse (``SparseHistogram``): a row costs what it recorded. Error groups
    (request errors, and user errors, each) are normalised (``error_groups.error_key``) and
    capped at ``max_error_groups`` per interval; beyond that, occurrences go to one
    ``OTHER_ERRORS`` group with empty method/name, so counts are never lost.
    """

    def __init__(self, max_error_groups: int = 1000, max_names: int = 2000) -> None:
        if max_error_groups < 1 or max_names < 1:
            raise ValueError("max_error_groups and max_names must be >= 1")
        self.max_error_groups = max_error_groups
        self.max_names = max_names
        self.names_capped = False  # requests went to an OTHER_NAME row (since the last reset)
        self._warnings = CapWarnings(log, max_names, max_error_groups, " in one interval")
        self._named = 0  # rows in _entries that are not OTHER_NAME rows
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._errors = ErrorGroups(max_error_groups)
        self._user_errors = UserErrorGroups(max_error_groups)
        self._scratch: LatencyHistogram | None = None  # encodes the sparse histograms
        self._started_at = time.time()
        self.arrivals: ArrivalCounters | None = None
        self._planned_start: Callable[[], float | None] | None = None

    def enable_open_model(self, planned_start: Callable[[], float | None], arrivals: ArrivalCounters) -> None:
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
        entry = self._entries.get((method, name)) or self._entries[(method, OTHER_NAME)]
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
            entry = self._new_entry(method, name)
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
            self._errors.add(method, entry.name, error)

    def _new_entry(self, method: str, name: str) -> _Entry:
        """The row for a name not seen yet: its own while fewer than ``max_names`` rows
        exist, else the method's ``OTHER_NAME`` row (names past the cap get no row)."""
        if name != OTHER_NAME and self._named < self.max_names:
            self._named += 1
            entry = self._entries[(method, name)] = _Entry(name)
            return entry
        if name != OTHER_NAME:
            self.names_capped = True
        other = self._entries.get((method, OTHER_NAME))
        if other is None:
            other = self._entries[(method, OTHER_NAME)] = _Entry(OTHER_NAME)
        return other

    @property
    def interval_started_at(self) -> float:
        """When the interval now being recorded began (epoch s)."""
        return self._started_at

    def live_rows(self) -> list[LiveRow]:
        """The rows of the interval so far, left as they are: what a worker's own view of its
        statistics reads (Locust's worker-side ``environment.stats`` also covers one report)."""
        return [
            LiveRow(method, e.name, e.requests, e.failures, e.bytes, e.histogram)
            for (method, _), e in self._entries.items()
            if e.requests
        ]

    def live_errors(self) -> list[ErrorStats]:
        """The request failures of the interval so far, grouped, left as they are."""
        return self._errors.stats()

    def record_user_error(self, exc: BaseException) -> None:
        """Count an exception from task code, keeping the first traceback of each kind."""
        self._user_errors.add(
            type(exc).__name__,
            str(exc),
            1,
            lambda: "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )

    def take_interval(self, now: float | None = None) -> IntervalStats:
        """Return everything recorded since the last call and start a new interval.

        Each row's counters are encoded and cleared (giving their memory back); rows with
        no requests this interval are left out. The first interval after the name cap was
        reached logs the one-time warning.
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
        errors = tuple(self._errors.stats())
        user_errors = tuple(self._user_errors.stats())
        self._warnings.check(self.names_capped, self._errors, self._user_errors)
        self._errors.clear()
        self._user_errors.clear()
        self._started_at = ended_at
        open_model = self.arrivals.take() if self.arrivals is not None else None
        return IntervalStats(started_at, ended_at, tuple(entries), errors, user_errors, open_model)

    def reset(self, now: float | None = None) -> None:
        """Drop everything recorded and start a new interval at ``now`` (default: the clock)."""
        self._entries.clear()
        self._named = 0
        self.names_capped = False
        self._errors.clear()
        self._user_errors.clear()
        self._started_at = time.time() if now is None else now
        if self.arrivals is not None:
            self.arrivals.take()
