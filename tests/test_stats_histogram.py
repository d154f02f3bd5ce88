"""LatencyHistogram: hdrh's exact semantics, plus clamping, safe merges and fast reads."""

from __future__ import annotations

import base64
import random

import pytest
from hdrh.histogram import HdrHistogram

from fastswarm.stats.histogram import HIGHEST_US, LatencyHistogram, _index_tables

PCTS = (0.0, 1.0, 25.0, 50.0, 66.6, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0)


def _fed(values: list[int]) -> tuple[LatencyHistogram, HdrHistogram]:
    ours, ref = LatencyHistogram(), HdrHistogram(1, HIGHEST_US, 3)
    for v in values:
        ours.record(v)
        ref.record_value(v)
    return ours, ref


def _samples(n: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [max(1, int(rng.lognormvariate(9, 1.6))) for _ in range(n)]


def test_index_tables_match_hdrh_arithmetic() -> None:
    lowest, highest, median = _index_tables()
    h = HdrHistogram(1, HIGHEST_US, 3)
    assert len(lowest) == h.counts_len
    for i in range(h.counts_len):
        v = h.get_value_from_index(i)
        assert lowest[i] == h.get_lowest_equivalent_value(v)
        assert highest[i] == h.get_highest_equivalent_value(v)
        assert median[i] == h._hdr_median_equiv_value(v)


def test_reads_equal_hdrh() -> None:
    ours, ref = _fed(_samples(5000))
    for p in PCTS:
        assert ours.percentile(p) == ref.get_value_at_percentile(p), p
    assert ours.percentiles(PCTS) == {p: ref.get_value_at_percentile(p) for p in PCTS}
    assert ours.count == ref.get_total_count() == 5000
    assert ours.min == ref.get_min_value()
    assert ours.max == ref.get_max_value()
    assert ours.mean == pytest.approx(ref.get_mean_value(), rel=0, abs=0)


def test_empty_histogram_reads_zero() -> None:
    h = LatencyHistogram()
    assert (h.count, h.min, h.max, h.mean, h.percentile(99)) == (0, 0, 0, 0.0, 0)


def test_out_of_range_samples_are_clamped_and_counted() -> None:
    h = LatencyHistogram()
    h.record(0)
    h.record(-5)
    h.record(HIGHEST_US + 1)
    h.record(10 * HIGHEST_US)
    assert h.count == 4
    assert h.out_of_range == 2
    assert h.min == 1
    assert h.percentile(100) >= HIGHEST_US


def test_merge_equals_single_histogram_and_ignores_empty() -> None:
    values = _samples(3000)
    a, _ = _fed(values[:1000])
    b, _ = _fed(values[1000:])
    a.merge(LatencyHistogram())  # hdrh alone would reset min to 0 here
    a.merge(b)
    one, _ = _fed(values)
    assert a.percentiles(PCTS) == one.percentiles(PCTS)
    assert (a.count, a.min, a.max, a.mean) == (one.count, one.min, one.max, one.mean)


def test_bytes_round_trip_is_exact_and_standard() -> None:
    h, ref = _fed(_samples(2000))
    blob = h.to_bytes()
    assert isinstance(blob, bytes)
    assert blob == base64.b64decode(ref.encode())  # hdrh's standard encoding, without base64
    assert h.to_base64() == ref.encode().decode()  # and with it, for HdrHistogram logs
    back = LatencyHistogram.from_bytes(blob)
    assert back.percentiles(PCTS) == h.percentiles(PCTS)
    assert (back.count, back.min, back.max, back.mean) == (h.count, h.min, h.max, h.mean)
    back.record(5)  # a decoded histogram stays writable
    assert back.count == h.count + 1


def test_from_bytes_rebuckets_other_ranges() -> None:
    other = HdrHistogram(1, 60_000_000, 2)
    for v in (100, 2000, 30000):
        other.record_value(v)
    h = LatencyHistogram.from_bytes(base64.b64decode(other.encode()))
    assert h.count == 3
    assert h.min == pytest.approx(100, rel=0.01)
    assert h.max == pytest.approx(30000, rel=0.01)


@pytest.mark.parametrize("blob", [b"", b"garbage", b"\x1c\x84\x93\x14\x00\x00\x00\x03abc"])
def test_from_bytes_refuses_what_is_not_a_histogram(blob: bytes) -> None:
    with pytest.raises(ValueError, match="not a histogram"):
        LatencyHistogram.from_bytes(blob)


def test_empty_round_trip() -> None:
    back = LatencyHistogram.from_bytes(LatencyHistogram().to_bytes())
    assert back.count == 0 and back.min == 0


def test_reset_and_copy() -> None:
    h, _ = _fed(_samples(500))
    h.record(HIGHEST_US * 2)
    c = h.copy()
    h.reset()
    assert (h.count, h.min, h.max, h.out_of_range) == (0, 0, 0, 0)
    assert c.count == 501 and c.out_of_range == 1
    h.record(42)
    assert (h.count, h.min, h.max, h.percentile(50)) == (1, 42, 42, 42)
    assert c.count == 501
