"""The master's per-endpoint latency counters, sized by what was recorded.

A dense row of HDR counters (23,552 int64, 184 KB) per endpoint made the master cost
~370 KB a request name (the run's rows and the window's), and 18,258 names 7.1 GB. Here a
row starts sparse: its non-zero counters live in one sorted array of flat indexes
(``row << ROW_SHIFT | counter``) with their counts, 16 bytes a counter, so a name that saw
a few dozen latencies costs a few hundred bytes. A row whose distribution grows past
``HOT_COUNTERS`` distinct counters is moved to a dense row: it is busy, and adding into a
dense row is one fancy-indexed ``np.add.at`` rather than a binary search per counter.
A dense row stays dense (at most the ``--max-names`` rows can be, each 184 KB).

Adds stay vectorised and cheap: a worker's whole report (its endpoints' non-zero counters,
decoded together by ``hdr_sparse.decode_batch``) is appended to a pending list, and once
half as many counters as the table holds are pending (or a read needs them) they are
merged in one pass: dense rows' with one ``np.add.at``; the others sorted, summed, found in
the sorted array with one ``searchsorted`` and added in place, or inserted (amortised O(1)
a counter). Reads (``summaries``) give every row's count, min, max, mean and percentiles
exactly as ``LatencyHistogram`` would, in a few numpy passes over the non-zero counters,
never over 23,552 columns per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fastswarm.stats.hdr_sparse import COUNTS_LEN
from fastswarm.stats.histogram import (
    CountsSummary,
    _index_tables,
    percentile_ranks,
    percentile_values,
    summarize_counts,
)

ROW_SHIFT = 15  # flat index = row << ROW_SHIFT | counter (COUNTS_LEN = 23,552 < 2**15)
COUNTER_MASK = (1 << ROW_SHIFT) - 1
HOT_COUNTERS = 2048
"""A row with more distinct counters than this (32 KB sparse) is kept as a dense row (184 KB)."""
_PENDING_MIN = 4096  # new counters held back before a merge, at least
_PENDING_PARTS = 256  # ... and at most this many arrays of them (each costs ~100 bytes)
_DENSE_BLOCK = 16  # dense rows summarised together


class CountsTable:
    """Rows of HDR counters (LatencyHistogram's layout), sparse until busy.

    ``width`` is one past the highest counter ever added (callers pass it with each add):
    dense reads slice there, since a latency distribution rarely reaches the 1 h end.
    """

    __slots__ = ("_keys", "_vals", "_pending", "_pending_n", "_slot", "_dense", "_hot", "width")

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)  # sorted flat indexes of sparse counters
        self._vals = np.empty(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # new counters, not yet merged
        self._pending_n = 0
        self._slot = np.empty(0, dtype=np.intp)  # per row: its dense row, or -1
        self._dense = np.zeros((0, COUNTS_LEN), dtype=np.int64)
        self._hot = 0  # dense rows in use
        self.width = 0

    def add(self, flat: np.ndarray, counts: np.ndarray, width: int = 0) -> None:
        """Add ``counts`` at flat indexes ``flat`` (repeats add up); ``width``: max counter + 1.

        The counters wait in a pending list until half as many as the table holds have come
        (or 256 adds, or a read needs them), and are then merged in one pass: amortised O(1).
        """
        if not len(flat):
            return
        if width > self.width:
            self.width = width
        self._pending.append((flat, counts))
        self._pending_n += len(flat)
        if self._pending_n > max(_PENDING_MIN, len(self._keys) >> 1) or len(self._pending) >= _PENDING_PARTS:
            self._compact()

    def subtract(self, flat: np.ndarray, counts: np.ndarray) -> None:
        """Undo an ``add`` of the same counters."""
        if len(flat):
            self.add(flat, -counts)

    def summaries(self, rows: int, ps: Sequence[float], with_mean: bool = True) -> list[CountsSummary]:
        """Per row ``0 .. rows-1``: what ``LatencyHistogram.from_counts(row)`` would report
        (``histogram.summarize_counts``'s semantics; ``with_mean=False`` leaves mean 0.0)."""
        self._compact()
        out = sparse_summaries(self._keys, self._vals, rows, ps, with_mean)
        if self._hot:  # the dense rows as views (no copy), then each summary to its row
            # In blocks: one block's cumulative sums (a few MB) reuse the memory the last one
            # freed, where one big temporary costs fresh pages (page faults) on every read.
            dense: list[CountsSummary] = []
            for lo in range(0, self._hot, _DENSE_BLOCK):
                hi = min(lo + _DENSE_BLOCK, self._hot)
                dense += summarize_counts(self._dense[lo:hi, : self.width], ps, with_mean)
            hot = np.flatnonzero(self._slot >= 0)
            for r, slot in zip(hot.tolist(), self._slot[hot].tolist(), strict=True):
                if r < rows:
                    out[r] = dense[slot]
        return out

    def row(self, r: int) -> np.ndarray:
        """Row ``r``'s counters, dense, up to ``width`` (zeros for a row never added)."""
        self._compact()
        out = np.zeros(self.width, dtype=np.int64)
        if r < len(self._slot) and self._slot[r] >= 0:
            out[:] = self._dense[self._slot[r], : self.width]
            return out
        lo, hi = np.searchsorted(self._keys, [r << ROW_SHIFT, (r + 1) << ROW_SHIFT]).tolist()
        out[self._keys[lo:hi] & COUNTER_MASK] = self._vals[lo:hi]
        return out

    @property
    def nbytes(self) -> int:
        """Bytes held in counters (sparse, pending and dense rows)."""
        pending = sum(f.nbytes + c.nbytes for f, c in self._pending)
        return self._keys.nbytes + self._vals.nbytes + pending + self._slot.nbytes + self._dense.nbytes

    def _slot_of(self, rows: np.ndarray) -> np.ndarray:
        top = int(rows.max()) + 1
        if top > len(self._slot):
            grown = np.full(max(top, 2 * len(self._slot), 64), -1, dtype=np.intp)
            grown[: len(self._slot)] = self._slot
            self._slot = grown
        slots: np.ndarray = self._slot[rows]
        return slots

    def _compact(self) -> None:
        """Add the pending counters: dense rows' in place; the others merged into the sorted
        array (dropping counters back at zero), then rows grown busy are made dense."""
        if not self._pending:
            return
        if len(self._pending) == 1:
            flat, counts = self._pending[0]
        else:
            flat = np.concatenate([f for f, _ in self._pending])
            counts = np.concatenate([c for _, c in self._pending])
        self._pending, self._pending_n = [], 0
        if self._hot:
            slot = self._slot_of(flat >> ROW_SHIFT)
            if slot.min() >= 0:  # the busy case: every row dense
                np.add.at(self._dense.reshape(-1), slot * COUNTS_LEN + (flat & COUNTER_MASK), counts)
                return
            dense = slot >= 0
            if dense.any():
                at = slot[dense] * COUNTS_LEN + (flat[dense] & COUNTER_MASK)
                np.add.at(self._dense.reshape(-1), at, counts[dense])
                flat, counts = flat[~dense], counts[~dense]
        order = np.argsort(flat, kind="stable")
        flat, counts = flat[order], counts[order]
        first = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
        if len(first) < len(flat):
            flat, counts = flat[first], np.add.reduceat(counts, first)
        # Counters already held are added in place; the new ones inserted (two new arrays).
        keys, vals = self._keys, self._vals
        at = np.searchsorted(keys, flat)
        found = keys[np.minimum(at, len(keys) - 1)] == flat if len(keys) else np.zeros(len(flat), bool)
        vals[at[found]] += counts[found]
        new = ~found
        if new.any():
            keys, vals = np.insert(keys, at[new], flat[new]), np.insert(vals, at[new], counts[new])
        if not vals.all():  # counters back at zero (the window's seconds leaving it)
            live = vals != 0
            keys, vals = keys[live], vals[live]
        self._keys, self._vals = keys, vals
        self._promote()

    def _promote(self) -> None:
        rows = self._keys >> ROW_SHIFT
        busy = np.flatnonzero(np.bincount(rows) > HOT_COUNTERS)
        if not len(busy):
            return
        self._slot_of(busy)
        need = self._hot + len(busy)
        if need > len(self._dense):
            grown = np.zeros((max(need, 2 * len(self._dense)), COUNTS_LEN), dtype=np.int64)
            grown[: self._hot] = self._dense[: self._hot]
            self._dense = grown
        self._slot[busy] = np.arange(self._hot, need)
        self._hot = need
        moving = self._slot_of(rows) >= 0
        keys = self._keys[moving]
        at = self._slot[keys >> ROW_SHIFT] * COUNTS_LEN + (keys & COUNTER_MASK)
        self._dense.reshape(-1)[at] += self._vals[moving]
        self._keys, self._vals = self._keys[~moving], self._vals[~moving]


def sparse_summaries(
    keys: np.ndarray, vals: np.ndarray, rows: int, ps: Sequence[float], with_mean: bool = True
) -> list[CountsSummary]:
    """``summarize_counts`` for rows given as sorted flat indexes (``row << ROW_SHIFT |
    counter``) and their counts: one cumulative sum over all rows' counters, each row's
    ranks found with ``searchsorted`` offset by the counts of the rows before it."""
    wanted = list(ps)
    out = [CountsSummary(0, 0, 0, 0.0, {p: 0 for p in wanted}) for _ in range(rows)]
    if not len(keys) or not rows:
        return out
    row_of = keys >> ROW_SHIFT
    index = keys & COUNTER_MASK
    cum = np.cumsum(vals, dtype=np.int64)
    bounds = np.searchsorted(row_of, np.arange(rows + 1))
    cum0 = np.concatenate(([0], cum))
    base = cum0[bounds[:-1]]
    totals = cum0[bounds[1:]] - base
    live = np.flatnonzero(totals > 0)
    if not len(live):
        return out
    lowest, highest, median = _index_tables()
    b, t = base[live], totals[live]
    last = len(cum) - 1
    mins = lowest[index[np.searchsorted(cum, b + 1)]].tolist()
    maxs = highest[index[np.minimum(np.searchsorted(cum, b + t), last)]].tolist()
    reached = np.minimum(np.searchsorted(cum, b[None, :] + percentile_ranks(wanted, t)), last)
    pcts = percentile_values(wanted, index[reached]).tolist()
    sums: list[int] = [0] * len(live)
    if with_mean:
        med = median[index]
        if int(cum[-1]) * int(med.max()) < 2**63:  # no int64 product or running sum overflows
            psum0 = np.concatenate(([0], np.cumsum(vals * med, dtype=np.int64)))
            sums = (psum0[bounds[1:]] - psum0[bounds[:-1]])[live].tolist()
        else:
            v, m = vals.tolist(), med.tolist()
            spans = zip(bounds[:-1][live].tolist(), bounds[1:][live].tolist(), strict=True)
            sums = [sum(c * x for c, x in zip(v[lo:hi], m[lo:hi], strict=True)) for lo, hi in spans]
    for k, (r, total) in enumerate(zip(live.tolist(), t.tolist(), strict=True)):
        mean = float(sums[k]) / float(total) if with_mean else 0.0
        out[r] = CountsSummary(total, mins[k], maxs[k], mean, {p: pcts[j][k] for j, p in enumerate(wanted)})
    return out
