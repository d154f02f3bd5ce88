"""The sparse statistics are exact: the worker's SparseHistogram gives what one
LatencyHistogram fed the same samples gives, on random data, byte for byte on the wire."""

from __future__ import annotations

import random

from fastswarm.stats.histogram import HIGHEST_US, LatencyHistogram
from fastswarm.stats.sparse_histogram import SparseHistogram

PCTS = (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0)


def _samples(rng: random.Random, n: int) -> list[int]:
    """Latencies over the whole range: lognormal around a random centre, plus the edges."""
    centre = rng.uniform(0, 17)
    out = [int(rng.lognormvariate(centre, rng.uniform(0.1, 2.5))) for _ in range(n)]
    return out + rng.sample([0, 1, 2047, 2048, HIGHEST_US, HIGHEST_US * 4], k=min(n, 2))


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
