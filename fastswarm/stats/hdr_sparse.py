"""Decode an HdrHistogram V2 blob straight to its non-zero counters, with numpy, for the master.

A worker's one-second histogram has a few hundred non-zero counters out of 23,552. hdrh's
``decode`` allocates and fills all 23,552 (190 KB) and its ``add`` walks all of them; the
master does that for every endpoint of every worker every second. Here the base64 and zlib
layers are undone in C and the ZigZag-LEB128 counter stream is decoded with a handful of
vectorised numpy operations, giving (index, count) pairs that ``LatencyHistogram.merge``
adds with one fancy-indexed addition. The result is exactly what hdrh would have decoded.

Only blobs in fastswarm's own layout (1 µs .. 1 h, 3 significant figures, no index offset)
are taken; ``decode_sparse`` returns None for anything else, and callers fall back to hdrh.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

import numpy as np

_COMPRESSION_COOKIE = 0x1C849304
_ENCODING_COOKIE = 0x1C849303
_PAYLOAD_HEADER = struct.Struct(">IIIIQQd")  # cookie, length, index offset, digits, lowest, highest, ratio
_HALF_MAG = 10  # 3 significant figures: 1024 sub-buckets per half bucket


def lowest_at(index: int) -> int:
    """The lowest value counter ``index`` stands for (hdrh's layout for 1 µs, 3 digits)."""
    bucket = (index >> _HALF_MAG) - 1
    sub = (index & ((1 << _HALF_MAG) - 1)) + (1 << _HALF_MAG)
    if bucket < 0:
        sub -= 1 << _HALF_MAG
        bucket = 0
    return sub << bucket


def highest_at(index: int) -> int:
    """The highest value counter ``index`` stands for."""
    bucket = max((index >> _HALF_MAG) - 1, 0)
    return lowest_at(index) + (1 << bucket) - 1


class SparseCounts:
    """The non-zero counters of one histogram: ``index`` and ``counts`` arrays, and its totals.

    ``min_value`` / ``max_value`` are what hdrh's ``get_min_value`` / ``get_max_value`` would
    return for the decoded histogram, so merging one keeps hdrh's bookkeeping exactly.
    """

    __slots__ = ("index", "counts", "total", "min_value", "max_value")

    def __init__(self, index: np.ndarray, counts: np.ndarray) -> None:
        self.index = index
        self.counts = counts
        self.total = int(counts.sum()) if len(counts) else 0
        self.min_value = lowest_at(int(index[0])) if len(index) else 0
        self.max_value = highest_at(int(index[-1])) if len(index) else 0


def decode_sparse(blob: bytes, lowest: int, highest: int, digits: int) -> SparseCounts | None:
    """The non-zero counters of a base64 V2 compressed blob; None if it is not in that layout."""
    try:
        raw = base64.b64decode(blob)
        cookie, length = struct.unpack_from(">II", raw)
        if cookie & ~0xF0 != _COMPRESSION_COOKIE or length != len(raw) - 8:
            return None
        payload = zlib.decompress(memoryview(raw)[8:])
        pcookie, plen, offset, sig, low, high, _ = _PAYLOAD_HEADER.unpack_from(payload)
    except (binascii.Error, struct.error, zlib.error, ValueError):
        return None
    if pcookie & ~0xF0 != _ENCODING_COOKIE or offset or (low, high, sig) != (lowest, highest, digits):
        return None
    start = _PAYLOAD_HEADER.size
    if plen > len(payload) - start:
        return None
    b = np.frombuffer(payload, dtype=np.uint8, count=plen, offset=start)
    if not plen:
        return SparseCounts(np.empty(0, np.intp), np.empty(0, np.uint64))
    ends = np.flatnonzero(b < 0x80)  # the last byte of each varint
    if not len(ends) or ends[-1] != plen - 1:
        return None  # truncated
    if len(ends) == plen:
        u = b.astype(np.int64)  # every varint one byte: the common case for one-second histograms
    else:
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts + 1
        if lengths.max() > 8:
            return None  # a 9-byte varint (a count >= 2**56): let hdrh judge it
        shift = (np.arange(plen) - np.repeat(starts, lengths)) * 7
        u = np.add.reduceat((b & 0x7F).astype(np.int64) << shift, starts)
    v = (u >> 1) ^ -(u & 1)  # ZigZag
    step = np.where(v < 0, -v, 1)  # a negative value is a run of that many zero counters
    index = np.cumsum(step) - step
    keep = v > 0
    return SparseCounts(index[keep], v[keep].astype(np.uint64))
