"""The master's batched merge: one numpy pass per report, counters as matrix rows, cached reads.

Each path is checked against the plain one it replaces: hdrh's decode, one LatencyHistogram
fed everything, and a window recomputed from scratch.
"""

from __future__ import annotations

import random

import numpy as np
from hdrh.histogram import HdrHistogram

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.hdr_sparse import decode_batch
from fastswarm.stats.histogram import HIGHEST_US, LatencyHistogram, summarize_counts
from fastswarm.stats.model import (
    LATENCY_PCTS,
    EndpointRow,
    EntryStats,
    IntervalStats,
    LatencySummary,
    StatsKey,
    us_to_ms,
)
from fastswarm.stats.recorder import Recorder

PCTS = (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0)


def _hist(rng: random.Random, n: int) -> LatencyHistogram:
    h = LatencyHistogram()
    for _ in range(n):
        h.record(int(rng.lognormvariate(rng.uniform(2, 14), 1.5)))
    return h


def test_decode_batch_equals_hdrh_per_blob_and_flags_foreign_layouts() -> None:
    rng = random.Random(11)
    hists = [_hist(rng, n) for n in (1, 7, 300, 5000, 40)]
    hists[2]._counts_array[900] += 2**40  # a multi-byte counter
    hists[2]._h.total_count += 2**40
    foreign = HdrHistogram(1, 60_000_000, 2)
    foreign.record_value(1234)
    blobs = [h.to_bytes() for h in hists]
    blobs.insert(3, foreign.encode())
    batch = decode_batch(blobs, 1, HIGHEST_US, 3)
    assert batch.decoded == [True, True, True, False, True, True]
    assert not (batch.blob == 3).any()
    for i, blob in enumerate(blobs):
        if i == 3:
            continue
        full = np.ctypeslib.as_array(LatencyHistogram.from_bytes(blob)._h.counts)
        mine = batch.blob == i
        assert np.array_equal(batch.index[mine], np.flatnonzero(full))
        assert np.array_equal(batch.counts[mine], full[np.flatnonzero(full)])


def test_summarize_counts_equals_latency_histogram() -> None:
    rng = random.Random(12)
    hists = [_hist(rng, n) for n in (0, 1, 2, 999, 20_000)]
    rows = np.stack([np.ctypeslib.as_array(h._h.counts).astype(np.int64) for h in hists])
    width = int(np.flatnonzero(rows.any(axis=0)).max()) + 1
    for h, s in zip(hists, summarize_counts(rows[:, :width], PCTS), strict=True):
        assert (s.count, s.min, s.max, s.mean) == (h.count, h.min, h.max, h.mean)
        assert s.percentiles == h.percentiles(PCTS)
        back = LatencyHistogram.from_counts(rows[hists.index(h), :width])
        assert LatencySummary.of(back.summary(LATENCY_PCTS)) == LatencySummary.of(h.summary(LATENCY_PCTS))
        assert back.percentiles(PCTS) == h.percentiles(PCTS)


def _recorded(rng: random.Random, start: float, end: float, corrected: bool = False) -> IntervalStats:
    rec = Recorder()
    rec.reset(now=start)
    for _ in range(rng.randrange(50, 300)):
        name = rng.choice(["/a", "/b", "/c"])
        rec.record("GET", name, int(rng.lognormvariate(8, 1)), 10)
    iv = rec.take_interval(now=end)
    if corrected:  # open model: a second histogram per entry
        entries = tuple(
            EntryStats(e.method, e.name, e.requests, e.failures, e.bytes, e.histogram, e.histogram)
            for e in iv.entries
        )
        iv = IntervalStats(iv.started_at, iv.ended_at, entries)
    return iv


def test_window_kept_incrementally_equals_window_recomputed() -> None:
    rng = random.Random(13)
    agg = Aggregator(window_s=3.0, history_limit=6)
    agg.start(0.0)
    sent: list[IntervalStats] = []

    def expected(end: float) -> dict[str, dict[float, int]]:
        """Current p50/p95/p99 per name: the intervals of seconds floor(end) - 2 .. floor(end)."""
        hists: dict[str, LatencyHistogram] = {}
        for iv in sent:
            if int(end) - 2 <= int(iv.ended_at) <= int(end):
                for e in iv.entries:
                    h = hists.setdefault(e.name, LatencyHistogram())
                    h.merge(LatencyHistogram.from_bytes(e.histogram))
        return {n: h.percentiles((50.0, 95.0, 99.0)) for n, h in hists.items()}

    def current(rows: list[EndpointRow]) -> dict[str, tuple[float, float, float]]:
        return {r.name: (r.current_p50, r.current_p95, r.current_p99) for r in rows if r.current_p50}

    def in_ms(pcts: dict[str, dict[float, int]]) -> dict[str, tuple[float, float, float]]:
        return {n: (us_to_ms(p[50.0]), us_to_ms(p[95.0]), us_to_ms(p[99.0])) for n, p in pcts.items()}

    for s in range(12):
        for w in range(3):
            sent.append(_recorded(rng, s + w * 0.1, s + 1 + w * 0.1))
            agg.add(f"w{w}", sent[-1])
        if s == 7:  # a late interval for a second already out of the window
            sent.append(_recorded(rng, 4.0, 5.0))
            agg.add("w0", sent[-1])
        kept = agg.endpoint_rows()
        assert agg.endpoint_rows() == kept  # cached until the next merge
        assert current(kept) == in_ms(expected(s + 1.2))  # the window matrix kept as seconds go
        assert current(agg.endpoint_rows(now=s + 0.5)) == in_ms(expected(s + 0.5))  # summed from seconds
    assert len(agg.history()) == 6
    assert agg.totals_row().requests == sum(r.requests for r in agg.endpoint_rows())


def test_corrected_latency_kept_per_endpoint_and_in_total() -> None:
    rng = random.Random(14)
    agg = Aggregator()
    agg.start(0.0)
    agg.add("w0", _recorded(rng, 0.0, 1.0, corrected=True))
    agg.add("w1", _recorded(rng, 0.0, 1.0))
    for row in agg.endpoint_rows():
        assert row.corrected_latency is not None
        assert row.corrected_latency.max <= row.latency.max
    total = agg.totals_row()
    assert total.corrected_latency is not None and total.corrected_latency.p50 > 0
    assert agg.histogram(StatsKey("GET", "/nope")).count == 0
