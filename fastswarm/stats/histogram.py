"""The one seam onto ``hdrh``: a typed latency histogram in whole microseconds.

hdrh's API is untyped, silently drops out-of-range values (``record_value`` returns
``False``), corrupts ``min`` when an empty histogram is added, and walks its 23,552
counters in pure Python for every percentile and every ``reset``. This wrapper fixes those
once so the rest of fastswarm never sees them: samples are clamped into range and counted,
empty merges are skipped, and reads (percentiles, mean) and ``reset`` use numpy / ctypes
views of the same counter array, giving exactly the values hdrh itself would give.
"""

from __future__ import annotations

import binascii
import ctypes
import struct
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from fastswarm.stats.hdr_sparse import SparseCounts

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour
SIGNIFICANT_FIGURES = 3
# hdrh's bucket layout for 3 significant figures: 2048 sub-buckets, half of them per bucket.
HALF_MAG = 10
HALF_COUNT = 1 << HALF_MAG
SUB_BUCKET_MASK = (1 << (HALF_MAG + 1)) - 1
BUCKET_BITS = HALF_MAG + 1


_V2_OUTER = struct.Struct(">II")  # a V2 compressed blob starts with: cookie, zlib stream length
_V2_COMPRESSION_COOKIE = 0x1C849304  # low nibble of its second byte carries the word size
MAX_INFLATED_BYTES = 64 << 20  # a foreign layout's counters, inflated, may take at most this


def _new_hdr() -> Any:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


@cache
def _index_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per counter index: lowest, highest and median equivalent value (µs).

    Built once, lazily (importing does nothing), from hdrh's own index arithmetic for a
    1 µs .. 1 h, 3-digit histogram; tests check it against hdrh's methods.
    """
    h = _new_hdr()
    half_mag = h.sub_bucket_half_count_magnitude
    half = h.sub_bucket_half_count
    unit = h.unit_magnitude
    idx = np.arange(h.counts_len, dtype=np.int64)
    bucket = (idx >> half_mag) - 1
    sub = (idx & (half - 1)) + half
    low_region = bucket < 0
    sub = np.where(low_region, sub - half, sub)
    bucket = np.where(low_region, 0, bucket)
    lowest = sub << (bucket + unit)
    size = np.left_shift(np.int64(1), bucket + unit)
    highest = lowest + size - 1
    median = lowest + (size >> 1)
    return lowest, highest, median


def counter_values() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per counter index of this layout: the lowest, highest and median value (µs) it stands
    for; what the master needs to turn counters into other bucketings (OTLP's, Prometheus')."""
    return _index_tables()


class LatencyHistogram:
    """HDR histogram of request latencies, 1 µs .. 1 h at 3 significant digits.

    ``record`` is on every request's path, so it computes hdrh's counter index inline (hdrh's
    own ``record_value`` is four Python calls deep) and bumps the ctypes counter directly.
    Samples outside the range are clamped to it (never dropped) and counted in
    ``out_of_range``; that counter is local and does not travel in ``to_bytes``.
    """

    __slots__ = ("_h", "_counts_array", "_view", "out_of_range")

    def __init__(self, _hdr: Any = None) -> None:
        self._h: Any = _new_hdr() if _hdr is None else _hdr
        if self._h.unit_magnitude != 0 or self._h.sub_bucket_half_count_magnitude != HALF_MAG:
            raise ValueError("LatencyHistogram needs hdrh's 1 µs, 3-digit layout")
        self._counts_array = self._h.counts  # reset() clears it in place, so this stays valid
        self._view = np.ctypeslib.as_array(self._counts_array)  # the same memory, for numpy
        self.out_of_range = 0

    def record(self, us: int) -> None:
        """Add one sample in microseconds; <1 becomes 1, >1 h becomes 1 h (and is counted)."""
        if us < 1:
            us = 1
        elif us > HIGHEST_US:
            us = HIGHEST_US
            self.out_of_range += 1
        # hdrh's _counts_index_for(us) for unit magnitude 0: bucket from the bit length, then
        # the offset within it (tests check it against hdrh for every bucket boundary).
        bucket = (us | SUB_BUCKET_MASK).bit_length() - BUCKET_BITS
        self._counts_array[((bucket + 1) << HALF_MAG) + (us >> bucket) - HALF_COUNT] += 1
        h = self._h
        h.total_count += 1
        if us < h.min_value:
            h.min_value = us
        if us > h.max_value:
            h.max_value = us

    def merge(self, other: LatencyHistogram | SparseCounts) -> None:
        """Add ``other``'s samples into this one (exact: counters are summed).

        The counters are added with numpy (a sparse ``other`` with one fancy-indexed add)
        rather than hdrh's ``add``; total, min and max are kept exactly as hdrh keeps them.
        """
        h = self._h
        if isinstance(other, SparseCounts):
            if not other.total:
                return
            self._view[other.index] += other.counts
            total, low, high = other.total, other.min_value, other.max_value
        else:
            o = other._h
            if o.total_count == 0:
                return  # hdrh.add would set min to 0 from an empty histogram
            self._view += other._view
            total, low, high = o.total_count, o.get_min_value(), o.get_max_value()
            self.out_of_range += other.out_of_range
        h.total_count += total
        if high > h.max_value:
            h.max_value = high
        # hdrh's get_min_value(), inline: 0 if counter 0 is set, else the lowest equivalent value.
        current = h.min_value
        if self._counts_array[0]:
            current = 0
        elif current != sys.maxsize:
            bucket = (current | SUB_BUCKET_MASK).bit_length() - BUCKET_BITS
            current = (current >> bucket) << bucket
        h.min_value = min(current, low)

    @property
    def count(self) -> int:
        return int(self._h.total_count)

    @property
    def min(self) -> int:
        """Lowest recorded value (its bucket's lowest equivalent), 0 when empty."""
        return int(self._h.get_min_value()) if self._h.total_count else 0

    @property
    def max(self) -> int:
        """Highest recorded value (its bucket's highest equivalent), 0 when empty."""
        return int(self._h.get_max_value())

    @property
    def mean(self) -> float:
        """Mean in µs, as hdrh computes it (each bucket at its median), 0.0 when empty."""
        total = self._h.total_count
        if not total:
            return 0.0
        counts = self._counts()
        nz = np.flatnonzero(counts)
        median = _index_tables()[2]
        acc = sum(c * m for c, m in zip(counts[nz].tolist(), median[nz].tolist(), strict=True))
        return float(acc) / float(total)

    def percentile(self, p: float) -> int:
        """Value at percentile ``p`` (0..100) in µs, 0 when empty; hdrh's exact semantics."""
        return self.percentiles((p,))[p]

    def percentiles(self, ps: Iterable[float]) -> dict[float, int]:
        """Several percentiles in one pass over the counters (what reports should use)."""
        return self.summary(list(ps), with_mean=False).percentiles

    def summary(self, ps: Sequence[float], with_mean: bool = True) -> CountsSummary:
        """Count, min, max, mean and percentiles ``ps`` (µs; zeros when empty), read as
        ``summarize_counts`` reads the master's counter rows."""
        return summarize_counts(self._counts().view(np.int64)[None, :], ps, with_mean)[0]

    def to_bytes(self) -> bytes:
        """HdrHistogram's standard V2 compressed encoding as raw bytes (what the protocol
        carries as msgpack ``bin``): hdrh ``encode()`` without its base64 layer."""
        return binascii.a2b_base64(self._h.encode())

    def to_base64(self) -> str:
        """The same encoding in base64, as hdrh ``encode()`` gives it (HdrHistogram log lines)."""
        blob = self._h.encode()
        return blob.decode("ascii") if isinstance(blob, bytes) else str(blob)

    def encode_counts(self, index: np.ndarray, counts: np.ndarray) -> bytes:
        """``to_bytes`` of a histogram holding just ``counts`` at ascending ``index``, written
        through this (empty) one, which is left empty: hdrh's encoder reads only the counters
        up to the highest one used, so only those written here are cleared again."""
        h = self._h
        if h.total_count:
            raise ValueError("encode_counts needs an empty histogram")
        if not len(index):
            return self.to_bytes()
        self._view[index] = counts
        h.total_count = int(counts.sum())
        h.max_value = int(_index_tables()[0][index[-1]])  # any value of the last counter
        try:
            return self.to_bytes()
        finally:
            self._view[index] = 0
            h.total_count = 0
            h.max_value = 0

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> LatencyHistogram:
        """A histogram holding ``counts``: this layout's counters, possibly cut short after
        the last non-zero one (the master keeps its counters as numpy rows)."""
        out = cls()
        nz = np.flatnonzero(counts)
        if len(nz):
            out._view[: len(counts)] = counts
            lowest, highest, _ = _index_tables()
            h = out._h
            h.total_count = int(counts.sum())
            # What record/merge would have left: hdrh reads them back as these bucket bounds.
            h.min_value = int(lowest[nz[0]])
            h.max_value = int(highest[nz[-1]])
        return out

    def nonzero(self) -> tuple[np.ndarray, np.ndarray]:
        """The indexes and values of the non-zero counters."""
        counts = self._counts()
        nz = np.flatnonzero(counts)
        return nz, counts[nz].astype(np.int64)

    @classmethod
    def from_bytes(cls, b: bytes) -> LatencyHistogram:
        """Decode ``to_bytes`` output (or any raw V2 compressed blob; other ranges are
        re-bucketed). ValueError, whatever hdrh raised, for anything that is not one."""
        try:
            cookie, length = _V2_OUTER.unpack_from(b)
            if cookie & ~0xF0 != _V2_COMPRESSION_COOKIE or length != len(b) - _V2_OUTER.size:
                raise ValueError("not an HdrHistogram V2 compressed blob")
            compressed = bytes(b[_V2_OUTER.size :])
            # hdrh inflates without a limit: a small blob must not expand into gigabytes.
            inflater = zlib.decompressobj()
            inflater.decompress(compressed, MAX_INFLATED_BYTES)
            if inflater.unconsumed_tail:
                raise ValueError(f"inflates past {MAX_INFLATED_BYTES} bytes")
            decoded = HdrHistogram.decode(compressed, b64_wrap=False)
        except Exception as exc:  # noqa: BLE001 - hdrh raises its own classes, struct and zlib theirs
            raise ValueError(f"not a histogram: {type(exc).__name__}: {exc}") from None
        ref = _new_hdr()
        if (
            decoded.counts_len == ref.counts_len
            and decoded.unit_magnitude == ref.unit_magnitude
            and decoded.sub_bucket_count == ref.sub_bucket_count
            and decoded.word_size == ref.word_size
        ):
            return cls(decoded)
        out = cls(ref)
        if decoded.total_count:
            ref.add(decoded)
        return out

    def reset(self) -> None:
        """Empty it in place: one memset instead of hdrh's per-counter Python loop."""
        h = self._h
        ctypes.memset(h.counts, 0, ctypes.sizeof(h.counts))
        h.total_count = 0
        h.min_value = sys.maxsize  # hdrh's "empty" sentinel
        h.max_value = 0
        h.start_time_stamp_msec = 0
        h.end_time_stamp_msec = 0
        self.out_of_range = 0

    def count_at_or_below(self, bounds_us: Iterable[int]) -> list[int]:
        """Samples whose bucket starts at or below each bound (µs): Prometheus ``le`` counts.

        Exact to the histogram's precision: a sample counts under ``le`` when the lowest
        value its HDR bucket stands for is <= the bound.
        """
        wanted = list(bounds_us)
        if not self._h.total_count:
            return [0] * len(wanted)
        cum = np.cumsum(self._counts(), dtype=np.uint64)
        lowest = _index_tables()[0]
        out = []
        for bound in wanted:
            i = int(np.searchsorted(lowest, bound, side="right")) - 1
            out.append(int(cum[i]) if i >= 0 else 0)
        return out

    def copy(self) -> LatencyHistogram:
        out = LatencyHistogram()
        out.merge(self)
        return out

    def _counts(self) -> np.ndarray:
        """Zero-copy numpy view of hdrh's ctypes counter array."""
        return np.ctypeslib.as_array(self._h.counts)

    def __repr__(self) -> str:
        return f"LatencyHistogram(count={self.count}, min={self.min}, max={self.max})"


@dataclass(frozen=True, slots=True)
class CountsSummary:
    """What a LatencyHistogram holding one row of counters reports (µs; zeros when empty)."""

    count: int
    min: int
    max: int
    mean: float
    percentiles: dict[float, int]


def summarize_counts(counts: np.ndarray, ps: Sequence[float], with_mean: bool = True) -> list[CountsSummary]:
    """Per row of ``counts`` (rows x counters in LatencyHistogram's layout, possibly cut short
    after the last non-zero column): count, min, max, mean and percentiles ``ps``, exactly as
    ``LatencyHistogram.from_counts(row)`` would give them, with one cumsum for all rows.

    This is how the master reads its per-endpoint counters without building a histogram
    per endpoint. ``with_mean=False`` skips the mean (0.0), its only matrix product.
    """
    rows, width = counts.shape
    if not rows or not width:
        return [CountsSummary(0, 0, 0, 0.0, {p: 0 for p in ps})] * rows
    cum = np.cumsum(counts, axis=1, dtype=np.int64)
    totals = cum[:, -1].tolist()
    lowest, highest, median = _index_tables()
    sums: list[int] = [0] * rows
    if with_mean:
        if max(totals) * int(median[width - 1]) < 2**63:  # no int64 product or sum can overflow
            sums = (counts @ median[:width]).tolist()
        else:
            medians = median[:width].tolist()
            sums = [sum(c * m for c, m in zip(r.tolist(), medians, strict=True)) for r in counts]
    wanted = list(ps)
    ranks = percentile_ranks(wanted, cum[:, -1])
    found = np.zeros((len(wanted), rows), dtype=np.intp)
    for r, total in enumerate(totals):
        if total:
            found[:, r] = np.searchsorted(cum[r], ranks[:, r])
    values = percentile_values(wanted, found).tolist()
    out = []
    for r, total in enumerate(totals):
        if not total:
            out.append(CountsSummary(0, 0, 0, 0.0, {p: 0 for p in wanted}))
            continue
        # The first and the last non-zero counter:
        ends = np.searchsorted(cum[r], np.array([1, total], dtype=np.int64)).tolist()
        out.append(
            CountsSummary(
                total,
                int(lowest[ends[0]]),
                int(highest[ends[1]]),
                float(sums[r]) / float(total) if with_mean else 0.0,
                {p: values[j][r] for j, p in enumerate(wanted)},
            )
        )
    return out


def percentile_ranks(ps: Sequence[float], totals: np.ndarray) -> np.ndarray:
    """hdrh's rank of each percentile among each row's ``totals`` samples, ``(len(ps),
    len(totals))``: the count a row's cumulative counts must reach, ``max(int(p * total /
    100 + 0.5), 1)`` (p capped at 100), the same float arithmetic as hdrh's."""
    p = np.minimum(np.asarray(ps, dtype=np.float64), 100.0)[:, None]
    return np.maximum((p * totals.astype(np.float64)[None, :] / 100 + 0.5).astype(np.int64), 1)


def percentile_values(ps: Sequence[float], index: np.ndarray) -> np.ndarray:
    """The values (µs) percentiles ``ps`` read off ``index``, ``(len(ps), rows)``: the
    counters first reaching their ranks. hdrh gives the highest value a counter stands for
    (the lowest, for percentile 0)."""
    lowest, highest, _ = _index_tables()
    zero = (np.asarray(ps, dtype=np.float64) == 0)[:, None]
    values: np.ndarray = np.where(zero, lowest[index], highest[index])
    return values
