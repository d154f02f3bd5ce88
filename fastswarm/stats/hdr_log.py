"""``--hdr-log``: the run's interval histograms as an HdrHistogram interval log file."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from fastswarm.stats.hdr_sparse import SparseCounts
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import IntervalStats


class HdrLogWriter:
    """An HdrHistogram interval log (format 1.2), one line per interval, flushed as written.

    hdrh's ``HistogramLogWriter`` cannot write its own start-time header (it calls a
    datetime method that does not exist) and truncates the max column to whole units, so
    the lines are written here in the same format; hdrh's ``HistogramLogReader`` (and the
    Java tools) read them back. Values are µs; the max column is in ms.
    Timestamps are relative to the run start given to ``open``.

    An interval comes as the non-zero counters the aggregator has already decoded
    (``on_interval`` is its listener), so the log costs one encode per interval, never a
    second decode of every endpoint's blob.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.started_at = 0.0
        self.intervals = 0
        self._file: Any = None
        self._scratch: LatencyHistogram | None = None  # encodes the counters, left empty

    def open(self, started_at: float) -> None:
        """Create the file and write the header (start/base time, legend)."""
        self.started_at = started_at
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        stamp = datetime.fromtimestamp(started_at, tz=timezone.utc).isoformat()
        self._file.write("#[Histogram log format version 1.2]\n")
        self._file.write(f"#[StartTime: {started_at:.3f} (seconds since epoch), {stamp}]\n")
        self._file.write(f"#[BaseTime: {started_at:.3f} (seconds since epoch)]\n")
        self._file.write(
            '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
        )
        self._file.flush()

    def on_interval(self, interval: IntervalStats, counts: SparseCounts) -> None:
        """The aggregator's listener: ``interval``'s endpoints merged into ``counts``."""
        self.write_interval(interval.started_at, interval.ended_at, counts)

    def write_interval(self, started_at: float, ended_at: float, counts: SparseCounts) -> None:
        """Append one interval (epoch seconds) holding ``counts`` (ascending, non-zero
        counters in LatencyHistogram's layout); an empty one is skipped."""
        if self._file is None or not counts.total:
            return
        if self._scratch is None:
            self._scratch = LatencyHistogram()
        blob = self._scratch.encode_counts(counts.index, counts.counts)
        payload = base64.b64encode(blob).decode("ascii")
        start = max(0.0, started_at - self.started_at)
        length = max(0.0, ended_at - started_at)
        self._file.write(f"{start:.3f},{length:.3f},{counts.max_value / 1000:.3f},{payload}\n")
        self._file.flush()
        self.intervals += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
