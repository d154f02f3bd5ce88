"""Decode HdrHistogram V2 blobs straight to their non-zero counters, with numpy, for the master.

A worker's one-second histogram has a few hundred non-zero counters out of 23,552. hdrh's
``decode`` allocates and fills all 23,552 (190 KB) and its ``add`` walks all of them; the
master would do that for every endpoint of every worker every second. Here the zlib layer
of each raw V2 blob (the protocol carries them as msgpack ``bin``, never base64) is undone in
C, one blob at a time (each is its own zlib stream, inflated to at most the largest payload
this layout can have, so a hostile blob cannot expand into gigabytes), and then the
ZigZag-LEB128 counter streams of a whole report are decoded together in one vectorised numpy
pass (``decode_batch``): a report of 100 endpoints costs about as many numpy calls as one
histogram. The result is exactly what hdrh would have decoded.

Only blobs in fastswarm's own layout (1 µs .. 1 h, 3 significant figures, no index offset)
are taken; the others are flagged, and callers fall back to hdrh for them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_COMPRESSION_COOKIE = 0x1C849304
_ENCODING_COOKIE = 0x1C849303
_OUTER_HEADER = struct.Struct(">II")  # cookie, length of the zlib stream
_HEADER_LEN = 40  # payload header: cookie, length, index offset, digits, lowest, highest, ratio
_HEADER_COLUMNS = np.arange(_HEADER_LEN)
_HALF_MAG = 10  # 3 significant figures: 1024 sub-buckets per half bucket
COUNTS_LEN = 23_552  # counters of the 1 µs .. 1 h, 3-digit layout
# The largest V2 payload of that layout: the header and a 9-byte varint per counter.
MAX_PAYLOAD = _HEADER_LEN + 9 * COUNTS_LEN
_DECODE_ERRORS = (struct.error, zlib.error, ValueError, TypeError)
# zlib inflates by at most ~1032:1: a blob this small inflates to at most ~4 MB, so the fast
# path inflates it without a cap and checks the size after; larger ones take the capped path.
_INFLATE_UNCHECKED = 4096


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


def merge_counts(index: np.ndarray, counts: np.ndarray) -> SparseCounts:
    """One histogram's non-zero counters from counters of several (``index`` may repeat):
    equal indexes summed, in ascending order (one add into a dense row as wide as the
    highest index: cheaper than sorting a report's counters)."""
    if not len(index):
        return SparseCounts(index, counts)
    dense = np.zeros(int(index.max()) + 1, dtype=np.int64)
    np.add.at(dense, index, counts)
    live = np.flatnonzero(dense)
    return SparseCounts(live, dense[live])


@dataclass(frozen=True, slots=True)
class SparseBatch:
    """The non-zero counters of several blobs, flattened: counter ``k`` is ``counts[k]`` at
    ``index[k]`` of blob ``blob[k]``. ``decoded[i]`` is False for blob ``i`` when it is not
    in the layout asked for (or not a histogram at all): none of its counters are here."""

    blob: np.ndarray  # intp
    index: np.ndarray  # intp
    counts: np.ndarray  # int64
    decoded: list[bool]


def decode_sparse(blob: bytes, lowest: int, highest: int, digits: int) -> SparseCounts | None:
    """The non-zero counters of a raw V2 compressed blob; None if it is not in that layout."""
    batch = decode_batch([blob], lowest, highest, digits)
    if not batch.decoded[0]:
        return None
    return SparseCounts(batch.index, batch.counts.astype(np.uint64))


def _inflate(blob: bytes) -> bytes | None:
    """The V2 payload inside a raw compressed blob; None if the outer layer is not V2, or
    it inflates to more than this layout's largest payload."""
    try:
        cookie, length = _OUTER_HEADER.unpack_from(blob)
        if cookie & ~0xF0 != _COMPRESSION_COOKIE or length != len(blob) - 8:
            return None
        inflater = zlib.decompressobj()
        payload = inflater.decompress(memoryview(blob)[8:], MAX_PAYLOAD)
        if inflater.unconsumed_tail or not inflater.eof:
            return None
    except _DECODE_ERRORS:
        return None
    return payload if len(payload) >= _HEADER_LEN else None


def _inflate_all(blobs: Sequence[bytes]) -> list[bytes | None]:
    """Every blob's V2 payload. The common case runs one C call per blob (the zlib stream
    and the payload header are what vouch for the data); anything raising, too short or too
    long sends the blobs through ``_inflate`` one by one. A blob small enough that zlib
    (at most ~1032:1) cannot inflate it past a few MB is inflated without a cap and its
    size checked at once; larger ones take ``_inflate``'s capped path."""
    inflate = zlib.decompress
    out: list[bytes | None] = []
    try:
        for b in blobs:
            p = inflate(memoryview(b)[8:]) if len(b) <= _INFLATE_UNCHECKED else _inflate(b)
            if p is None or not _HEADER_LEN <= len(p) <= MAX_PAYLOAD:
                return [_inflate(b) for b in blobs]
            out.append(p)
    except _DECODE_ERRORS:
        return [_inflate(b) for b in blobs]
    return out


def decode_batch(blobs: Sequence[bytes], lowest: int, highest: int, digits: int) -> SparseBatch:
    """The non-zero counters of every blob in the 1 µs-unit layout (``lowest``, ``highest``,
    ``digits``; ``digits`` must be 3), their varint streams decoded in one numpy pass."""
    payloads = _inflate_all(blobs)
    if None not in payloads:  # the common case: every blob is a histogram
        batch = _decode_payloads(payloads, lowest, highest, digits)  # type: ignore[arg-type]
        if batch is not None and batch[0].all():
            return SparseBatch(batch[1], batch[2], batch[3], [True] * len(blobs))
    good = [i for i, p in enumerate(payloads) if p is not None]
    decoded = [False] * len(blobs)
    if good:
        parts = [p for p in payloads if p is not None]
        batch = _decode_payloads(parts, lowest, highest, digits)
        if batch is not None:
            ok, owner, index, counts = batch
            pos = np.asarray(good, dtype=np.intp)
            for i in pos[ok].tolist():
                decoded[i] = True
            return SparseBatch(pos[owner], index, counts, decoded)
        # A varint anomaly somewhere (truncation, a count >= 2**56): judge each blob alone.
        singles = [_decode_payloads([p], lowest, highest, digits) for p in parts]
        owners, indexes, counts_ = [], [], []
        for i, one in zip(good, singles, strict=True):
            if one is not None and one[0][0]:
                decoded[i] = True
                owners.append(np.full(len(one[2]), i, dtype=np.intp))
                indexes.append(one[2])
                counts_.append(one[3])
        if owners:
            joined = (np.concatenate(owners), np.concatenate(indexes), np.concatenate(counts_))
            return SparseBatch(*joined, decoded)
    empty = np.empty(0, np.intp)
    return SparseBatch(empty, empty, np.empty(0, np.int64), decoded)


def _decode_payloads(
    payloads: list[bytes], lowest: int, highest: int, digits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(layout ok per payload, payload of each counter, index, count) for inflated payloads
    (each >= 40 bytes); None when a varint stream is malformed or too wide for this decoder.

    Written for few passes over the varint bytes: at 64 workers x 100 endpoints a second
    this runs over ~0.8 MB/s, and each extra numpy pass costs about 1 ms/s.
    """
    n = len(payloads)
    head = np.frombuffer(b"".join([p[:_HEADER_LEN] for p in payloads]), dtype=np.uint8)
    head = head.reshape(n, _HEADER_LEN)
    bodies = [p[_HEADER_LEN:] for p in payloads]
    sizes = np.fromiter(map(len, bodies), dtype=np.int64, count=n)
    words = head[:, :16].copy().view(">u4")  # cookie, varint length, index offset, digits
    longs = head[:, 16:32].copy().view(">u8")  # lowest, highest
    ok = (
        (words[:, 0] & ~np.uint32(0xF0) == _ENCODING_COOKIE)
        & (words[:, 1] == sizes)  # hdrh writes exactly the varints after the header
        & (words[:, 2] == 0)
        & (words[:, 3] == digits)
        & (longs[:, 0] == lowest)
        & (longs[:, 1] == highest)
    )
    if digits != 3 or lowest != 1:
        ok[:] = False  # the index arithmetic below is for fastswarm's layout only
    if not ok.all():
        bodies = [p if good else b"" for p, good in zip(bodies, ok.tolist(), strict=True)]
        sizes = np.where(ok, sizes, 0)
    b = np.frombuffer(b"".join(bodies), dtype=np.uint8)
    ends = np.cumsum(sizes)  # each payload's varints end here in ``b``
    last = np.flatnonzero(b < 0x80)  # the last byte of each varint
    done = np.searchsorted(last, ends)  # varints finished before each payload's end
    nvar = np.diff(done, prepend=0)
    filled = sizes > 0
    if len(b) and not (last[done[filled] - 1] == ends[filled] - 1).all():
        return None  # a truncated stream (a payload not ending on a varint's last byte)
    if len(last) == len(b):
        u = b.astype(np.int64)  # every varint one byte: the common case for one-second histograms
    else:
        first = np.empty_like(last)
        first[:1] = 0
        first[1:] = last[:-1] + 1
        width = last - first + 1
        longest = int(width.max())
        if longest > 8:
            return None  # a 9-byte varint (a count >= 2**56): let hdrh judge it
        # Little-endian 7-bit groups: add each varint's k-th byte, k = 1, 2, ..., only to the
        # varints that long (few: most counters and zero runs fit in one or two bytes).
        u = (b[first] & 0x7F).astype(np.int64)
        for k in range(1, longest):
            more = np.flatnonzero(width > k)
            u[more] |= (b[first[more] + k] & 0x7F).astype(np.int64) << (7 * k)
    # ZigZag: an even u is a count of u/2; an odd u a run of (u+1)/2 zero counters.
    odd = (u & 1).astype(bool)
    step = np.where(odd, (u + 1) >> 1, 1)
    position = np.cumsum(step)
    position -= step  # counter index, counting on across payloads
    live = np.flatnonzero((u > 0) & ~odd)  # integer takes: a mask this random is slow
    owner = np.repeat(np.arange(n), nvar)[live]
    start = position[np.minimum(done - nvar, max(len(position) - 1, 0))] if len(position) else position
    index = position[live] - start[owner]  # counting from 0 in each payload
    if len(index) and int(index.max()) >= COUNTS_LEN:
        return None
    return ok, owner, index, u[live] >> 1
