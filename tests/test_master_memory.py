"""What the master's memory holds: its exact counters, counted; its allocator, tuned after the fork."""

from __future__ import annotations

import ctypes.util

from fastswarm.master.malloc import return_large_blocks
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.model import IntervalStats
from fastswarm.stats.recorder import Recorder


def _interval(rec: Recorder, second: int, latencies: list[int], names: int) -> IntervalStats:
    for i, us in enumerate(latencies):
        rec.record("GET", f"/n/{i % names}", us, 10, None)
    iv = rec.take_interval(now=1001.0 + second)
    return IntervalStats(1000.0 + second, 1001.0 + second, iv.entries, iv.errors, ())


def test_histogram_bytes_grow_with_distinct_latencies_not_with_repeats() -> None:
    agg, rec = Aggregator(), Recorder()
    agg.start(1000.0)
    assert agg.histogram_bytes == 0
    agg.add("w", _interval(rec, 0, [1000 + i for i in range(200)], names=10))
    agg.endpoint_rows()  # a read merges what is pending
    first = agg.histogram_bytes
    assert 200 * 16 <= first < 200 * 16 * 2  # 16 bytes a distinct counter (+ a row table)
    for second in range(1, 6):  # the same latencies again: counts grow, not counters
        agg.add("w", _interval(rec, second, [1000 + i for i in range(200)], names=10))
    agg.endpoint_rows()
    assert agg.histogram_bytes == first
    assert agg.totals_row().requests == 1200
    agg.add("w", _interval(rec, 6, [5000 + i for i in range(100)], names=10))
    agg.endpoint_rows()
    assert agg.histogram_bytes == first + 100 * 16


def test_the_allocator_is_tuned_where_glibc_is_the_c_library() -> None:
    libc = ctypes.util.find_library("c")
    has_mallopt = libc is not None and hasattr(ctypes.CDLL(libc), "mallopt")
    assert return_large_blocks() is has_mallopt
