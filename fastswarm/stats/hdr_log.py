"""``--hdr-log``: the run's interval histograms as an HdrHistogram interval log file."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastswarm.stats.histogram import LatencyHistogram


class HdrLogWriter:
    """An HdrHistogram interval log (format 1.2), one line per interval, flushed as written.

    hdrh's ``HistogramLogWriter`` cannot write its own start-time header (it calls a
    datetime method that does not exist) and truncates the max column to whole units, so
    the lines are written here in the same format; hdrh's ``HistogramLogReader`` (and the
    Java tools) read them back. Values are µs; the max column is in ms.
    Timestamps are relative to the run start given to ``open``.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.started_at = 0.0
        self.intervals = 0
        self._file: Any = None

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

    def write_interval(self, started_at: float, ended_at: float, histogram: LatencyHistogram) -> None:
        """Append one interval (epoch seconds); an empty histogram is skipped."""
        if self._file is None or not histogram.count:
            return
        payload = histogram.to_base64()
        start = max(0.0, started_at - self.started_at)
        length = max(0.0, ended_at - started_at)
        self._file.write(f"{start:.3f},{length:.3f},{histogram.max / 1000:.3f},{payload}\n")
        self._file.flush()
        self.intervals += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
