"""The master's sparse HDR decoding gives exactly what hdrh decodes, and merges exactly."""

from __future__ import annotations

import base64
import random
import zlib

import numpy as np

from fastswarm.stats.hdr_sparse import decode_sparse, highest_at, lowest_at
from fastswarm.stats.histogram import HIGHEST_US, LatencyHistogram, _index_tables


def _random_histogram(rng: random.Random, n: int) -> LatencyHistogram:
    h = LatencyHistogram()
    for _ in range(n):
        h.record(int(rng.lognormvariate(rng.uniform(2, 14), 1.5)))
    return h


def test_bucket_bounds_match_hdrh_tables() -> None:
    lowest, highest, _ = _index_tables()
    for i in range(0, len(lowest), 7):
        assert (lowest_at(i), highest_at(i)) == (lowest[i], highest[i])


def test_decode_sparse_equals_hdrh_decode() -> None:
    rng = random.Random(5)
    for n in (1, 3, 50, 2000, 50_000):
        h = _random_histogram(rng, n)
        if n == 2000:
            h._counts_array[300] += 2**40  # multi-byte varints
            h._h.total_count += 2**40
        blob = h.to_bytes()
        sparse = decode_sparse(blob, 1, HIGHEST_US, 3)
        assert sparse is not None
        decoded = LatencyHistogram.from_bytes(blob)._h
        full = np.ctypeslib.as_array(decoded.counts)
        nz = np.flatnonzero(full)
        assert np.array_equal(sparse.index, nz) and np.array_equal(sparse.counts, full[nz])
        assert (sparse.total, sparse.min_value, sparse.max_value) == (
            decoded.total_count,
            decoded.get_min_value(),
            decoded.get_max_value(),
        )


def test_other_layouts_and_garbage_are_refused() -> None:
    from hdrh.histogram import HdrHistogram

    other = HdrHistogram(1, 60_000_000, 2)
    other.record_value(1234)
    assert decode_sparse(base64.b64decode(other.encode()), 1, HIGHEST_US, 3) is None
    assert decode_sparse(b"not a histogram!", 1, HIGHEST_US, 3) is None
    assert decode_sparse(b"\x1c\x84\x93\x14\x00\x00\x00\x05hello", 1, HIGHEST_US, 3) is None
    # base64 (what hdrh's encode() gives) is not what the protocol carries
    assert decode_sparse(LatencyHistogram().to_base64().encode(), 1, HIGHEST_US, 3) is None


def test_a_zlib_bomb_is_refused_without_inflating_it() -> None:
    # 64 MB of zeros compress to ~64 KB: far past the largest payload of the layout.
    stream = zlib.compress(b"\x00" * (64 << 20), 9)
    bomb = (0x1C849314).to_bytes(4, "big") + len(stream).to_bytes(4, "big") + stream
    assert decode_sparse(bomb, 1, HIGHEST_US, 3) is None


def test_sparse_and_full_merges_equal_one_histogram_fed_everything() -> None:
    rng = random.Random(9)
    parts = [_random_histogram(rng, n) for n in (10, 400, 1, 3000)]
    one = LatencyHistogram()
    sparse_merged, full_merged = LatencyHistogram(), LatencyHistogram()
    for p in parts:
        s = decode_sparse(p.to_bytes(), 1, HIGHEST_US, 3)
        assert s is not None
        sparse_merged.merge(s)
        full_merged.merge(LatencyHistogram.from_bytes(p.to_bytes()))
        one._h.add(LatencyHistogram.from_bytes(p.to_bytes())._h)  # hdrh's own add, the reference
    for h in (sparse_merged, full_merged):
        assert list(h._h.counts) == list(one._h.counts)
        assert (h.count, h.min, h.max) == (one.count, one.min, one.max)
        assert h.percentiles((50.0, 99.0, 99.9)) == one.percentiles((50.0, 99.0, 99.9))
