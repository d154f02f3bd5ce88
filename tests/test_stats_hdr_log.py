"""--hdr-log fed by the aggregator: the counters it decoded for the merge, written as hdrh
would write the merged interval, and read back by hdrh's own log reader."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.hdr_log import HdrLogWriter
from fastswarm.stats.hdr_sparse import merge_counts
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, IntervalStats


def _entry(name: str, samples: list[int]) -> tuple[EntryStats, LatencyHistogram]:
    h = LatencyHistogram()
    for us in samples:
        h.record(us)
    return EntryStats("GET", name, len(samples), 0, 0, h.to_bytes()), h


def _foreign_blob(samples: list[int]) -> bytes:
    """A histogram in another layout (1 µs .. 60 s, 2 digits): the aggregator re-buckets it."""
    other = HdrHistogram(1, 60_000_000, 2)
    for us in samples:
        other.record_value(us)
    return base64.b64decode(other.encode())


def test_merge_counts_sums_repeated_indexes_in_order() -> None:
    merged = merge_counts(np.array([9, 3, 9, 5, 3]), np.array([1, 2, 3, 4, 5]))
    assert merged.index.tolist() == [3, 5, 9] and merged.counts.tolist() == [7, 4, 4]
    assert merged.total == 15 and merge_counts(np.array([], np.intp), np.array([], np.int64)).total == 0


def test_log_lines_equal_the_merged_interval_and_read_back_with_hdrh(tmp_path: Path) -> None:
    rng = random.Random(5)
    path = tmp_path / "run.hlog"
    agg = Aggregator()
    agg.start(1000.0)
    writer = HdrLogWriter(str(path))
    writer.open(1000.0)
    agg.counts_listeners.append(writer.on_interval)
    expected: list[LatencyHistogram] = []
    for second in range(3):
        parts = [_entry(f"/e{i}", [int(rng.lognormvariate(8, 1.2)) for _ in range(200)]) for i in range(4)]
        foreign = [rng.randint(50, 5_000_000) for _ in range(30)]
        entries = [e for e, _ in parts] + [EntryStats("GET", "/far", 30, 0, 0, _foreign_blob(foreign))]
        merged = LatencyHistogram()
        for _, h in parts:
            merged.merge(h)
        merged.merge(LatencyHistogram.from_bytes(entries[-1].histogram))
        expected.append(merged)
        agg.add("w0", IntervalStats(1000.0 + second, 1001.0 + second, tuple(entries), ()))
    agg.add("w0", IntervalStats(1003.0, 1004.0, (), ()))  # nothing recorded: no line
    writer.close()
    lines = [ln for ln in path.read_text().splitlines() if ln[:1].isdigit()]
    assert writer.intervals == 3 and len(lines) == 3
    for line, h, second in zip(lines, expected, range(3), strict=True):
        # What the writer wrote from a merged LatencyHistogram before it took the counters.
        assert line == f"{second:.3f},1.000,{h.max / 1000:.3f},{h.to_base64()}"
    reader = HistogramLogReader(str(path), HdrHistogram(1, 3_600_000_000, 3))
    read = []
    while (got := reader.get_next_interval_histogram()) is not None:
        read.append(got)
    assert [r.get_total_count() for r in read] == [h.count for h in expected] == [830, 830, 830]
    for r, h in zip(read, expected, strict=True):
        for p in (50.0, 99.0, 99.9, 100.0):
            assert r.get_value_at_percentile(p) == h.percentile(p)
    assert read[2].get_start_time_stamp() == pytest.approx(1002.0 * 1000, abs=2)


def test_a_bad_blob_writes_no_line(tmp_path: Path) -> None:
    """An interval the aggregator refuses (ValueError, nothing merged) is not logged either."""
    agg = Aggregator()
    writer = HdrLogWriter(str(tmp_path / "run.hlog"))
    writer.open(0.0)
    agg.counts_listeners.append(writer.on_interval)
    good, _ = _entry("/a", [100, 200])
    with pytest.raises(ValueError):
        agg.add("w0", IntervalStats(0.0, 1.0, (good, EntryStats("GET", "/b", 1, 0, 0, b"nope")), ()))
    writer.close()
    assert writer.intervals == 0
