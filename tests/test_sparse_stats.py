"""The sparse statistics are exact: the worker's SparseHistogram and the master's CountsTable
give what one LatencyHistogram fed the same samples gives, on random data, through every
path (sparse rows, pending counters, rows turned dense, subtraction, int64 overflow)."""

from __future__ import annotations

import random

import numpy as np

from fastswarm.stats.counts_table import HOT_COUNTERS, ROW_SHIFT, CountsTable, sparse_summaries
from fastswarm.stats.histogram import HIGHEST_US, CountsSummary, LatencyHistogram, summarize_counts
from fastswarm.stats.sparse_histogram import SparseHistogram

PCTS = (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0)


def _samples(rng: random.Random, n: int) -> list[int]:
    """Latencies over the whole range: lognormal around a random centre, plus the edges."""
    centre = rng.uniform(0, 17)
    out = [int(rng.lognormvariate(centre, rng.uniform(0.1, 2.5))) for _ in range(n)]
    return out + rng.sample([0, 1, 2047, 2048, HIGHEST_US, HIGHEST_US * 4], k=min(n, 2))


def _check(s: CountsSummary, ref: LatencyHistogram) -> None:
    assert (s.count, s.min, s.max) == (ref.count, ref.min, ref.max)
    assert s.mean == ref.mean
    assert s.percentiles == ref.percentiles(PCTS)


def test_sparse_histogram_encodes_byte_for_byte_like_latency_histogram() -> None:
    rng = random.Random(1)
    scratch = LatencyHistogram()
    for n in (0, 1, 3, 200, 20_000):
        sparse, ref = SparseHistogram(), LatencyHistogram()
        for us in _samples(rng, n):
            sparse.record(us)
            ref.record(us)
        assert sparse.to_bytes(scratch) == ref.to_bytes()
        assert scratch.count == 0 and scratch.nonzero()[0].size == 0  # left empty for the next
        back = sparse.to_histogram()
        assert (back.count, back.min, back.max, back.mean) == (ref.count, ref.min, ref.max, ref.mean)
        assert back.percentiles(PCTS) == ref.percentiles(PCTS)
        wire = LatencyHistogram.from_bytes(sparse.to_bytes(scratch))
        assert wire.percentiles(PCTS) == ref.percentiles(PCTS)
        assert len(sparse.counts) == len(ref.nonzero()[0])  # memory: only the counters used
        sparse.reset()
        assert sparse.count == 0 and not sparse.counts


Copies = list[tuple[np.ndarray, np.ndarray]]


def _with_copies(ref: LatencyHistogram, row: int, copies: Copies) -> LatencyHistogram:
    """``ref`` plus row ``row``'s counters of the extra copies still in the table."""
    out = ref.copy()
    for flat, cnt in copies:
        mine = (flat >> ROW_SHIFT) == row
        dense = np.zeros(int((flat[mine] & ((1 << ROW_SHIFT) - 1)).max(initial=-1)) + 1, dtype=np.int64)
        np.add.at(dense, flat[mine] & ((1 << ROW_SHIFT) - 1), cnt[mine])
        out.merge(LatencyHistogram.from_counts(dense))
    return out


def test_counts_table_equals_one_histogram_per_row_through_every_path() -> None:
    rng = random.Random(2)
    rows = 40
    refs = [LatencyHistogram() for _ in range(rows)]
    table = CountsTable()
    removed: Copies = []
    for batch in range(60):
        # A report: some rows, each a small histogram; a few rows get thousands of samples,
        # so they cross HOT_COUNTERS and turn dense while others stay sparse.
        flats, counts = [], []
        for r in rng.sample(range(rows), k=rng.randrange(1, rows)):
            h = LatencyHistogram()
            n = rng.choice((1, 5, 50, 3000 if r % 7 == 0 else 20))
            for us in _samples(rng, n):
                h.record(us)
            index, c = h.nonzero()
            flats.append((r << ROW_SHIFT) + index)
            counts.append(c)
            refs[r].merge(h)
        flat, cnt = np.concatenate(flats), np.concatenate(counts)
        table.add(flat, cnt, int((flat & ((1 << ROW_SHIFT) - 1)).max()) + 1)
        if batch % 9 == 4:  # added and later taken out again (as the window does)
            removed.append((flat, cnt))
            table.add(flat, cnt)  # twice, so one copy stays
        if batch % 9 == 8 and removed:
            flat, cnt = removed.pop()
            table.subtract(flat, cnt)
        if batch % 13 == 0:  # reads in between force merges of the pending counters
            for r, s in enumerate(table.summaries(rows, PCTS)):
                _check(s, _with_copies(refs[r], r, removed))
    for flat, cnt in removed:  # the copies not taken out yet
        table.subtract(flat, cnt)
    summaries = table.summaries(rows + 3, PCTS)  # rows never added read as empty
    for r in range(rows):
        _check(summaries[r], refs[r])
        dense = table.row(r)
        assert np.array_equal(np.flatnonzero(dense), refs[r].nonzero()[0])
        assert summaries[r] == summarize_counts(dense[None, :], PCTS)[0]
    assert [s.count for s in summaries[rows:]] == [0, 0, 0]
    assert any(refs[r].nonzero()[0].size > HOT_COUNTERS for r in range(rows))
    assert 0 < table._hot < rows and len(table._keys)  # both dense and sparse rows were read
    no_mean = table.summaries(rows, PCTS, with_mean=False)
    assert [s.percentiles for s in no_mean] == [s.percentiles for s in summaries[:rows]]


def test_sparse_summaries_exact_past_int64_products() -> None:
    """Counts so large that count x value overflows int64: the mean falls back to exact ints."""
    big = 2**60
    keys = np.array([(0 << ROW_SHIFT) + 10, (0 << ROW_SHIFT) + 20_000, (2 << ROW_SHIFT) + 5], dtype=np.int64)
    vals = np.array([big, 3, 7], dtype=np.int64)
    out = sparse_summaries(keys, vals, 3, PCTS)
    dense = np.zeros((3, 20_001), dtype=np.int64)
    dense[0, 10], dense[0, 20_000], dense[2, 5] = big, 3, 7
    assert out == summarize_counts(dense, PCTS)
    assert out[1].count == 0


def test_counters_that_go_back_to_zero_are_dropped() -> None:
    table = CountsTable()
    flat = np.array([(3 << ROW_SHIFT) + i for i in range(1000)], dtype=np.int64)
    ones = np.ones(1000, dtype=np.int64)
    table.add(flat, ones, 1000)
    table.summaries(4, PCTS)
    held = table.nbytes
    table.subtract(flat, ones)
    assert table.summaries(4, PCTS)[3].count == 0
    assert table.nbytes < held


def test_open_model_lag_merged_from_sparse_counters_is_exact() -> None:
    from fastswarm.stats.model import OpenIntervalStats
    from fastswarm.stats.open_stats import OpenTotals

    rng = random.Random(6)
    totals, ref = OpenTotals(), LatencyHistogram()
    for n in (1, 40, 700):
        h = LatencyHistogram()
        for us in _samples(rng, n):
            h.record(us)
        ref.merge(h)
        totals.add(OpenIntervalStats(n, 0, 0, h.to_bytes()))
    assert (totals.lag.count, totals.lag.min, totals.lag.max) == (ref.count, ref.min, ref.max)
    assert totals.lag.percentiles(PCTS) == ref.percentiles(PCTS) and totals.lag.mean == ref.mean
