"""The master's per-endpoint latency counters: one int64 matrix, a row per endpoint.

An HDR histogram per endpoint would make every merge a Python call per endpoint and every
read a pass per endpoint; as rows of one matrix, a worker's whole report (its endpoints'
non-zero counters, decoded together by ``hdr_sparse.decode_batch``) is merged with a single
``np.add.at``, and the console reads every endpoint's percentiles with one cumsum
(``histogram.summarize_counts``). Counters are addressed by flat index
``row * COUNTS_LEN + counter``, which stays valid as rows are added.
"""

from __future__ import annotations

import numpy as np

from fastswarm.stats.hdr_sparse import COUNTS_LEN


class CountsTable:
    """Rows of HDR counters (LatencyHistogram's layout), grown as endpoints appear.

    ``width`` is one past the highest counter ever touched: reads slice the matrix there,
    since a latency distribution rarely reaches the upper half of the 1 h range.
    """

    __slots__ = ("_m", "width")

    def __init__(self) -> None:
        self._m = np.zeros((0, COUNTS_LEN), dtype=np.int64)
        self.width = 0

    def add(self, flat: np.ndarray, counts: np.ndarray, width: int) -> None:
        """Add ``counts`` at flat indexes ``flat`` (repeats add up); ``width``: max counter + 1."""
        if not len(flat):
            return
        need = int(flat.max()) // COUNTS_LEN + 1
        if need > len(self._m):
            self._grow(need)
        np.add.at(self._m.reshape(-1), flat, counts)
        if width > self.width:
            self.width = width

    def subtract(self, flat: np.ndarray, counts: np.ndarray) -> None:
        """Undo an ``add`` of the same counters."""
        if len(flat):
            np.subtract.at(self._m.reshape(-1), flat, counts)

    def matrix(self, rows: int) -> np.ndarray:
        """The first ``rows`` rows up to ``width`` (a view; rows never added to read as zero)."""
        if rows > len(self._m):
            self._grow(rows)
        return self._m[:rows, : self.width]

    def row(self, r: int) -> np.ndarray:
        return self._m[r, : self.width] if r < len(self._m) else self._m[:0, : self.width].reshape(-1)

    def _grow(self, rows: int) -> None:
        grown = np.zeros((max(rows, 2 * len(self._m), 8), COUNTS_LEN), dtype=np.int64)
        grown[: len(self._m)] = self._m
        self._m = grown
