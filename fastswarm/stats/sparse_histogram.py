"""A worker's latency histogram that costs memory only for the counters it has used.

hdrh keeps all 23,552 counters of the 1 µs .. 1 h, 3-digit layout (184 KB) for every
histogram, and a worker keeps one per request name: 190 KB a name, most of it zeros, since
one second of one endpoint's latencies touches a few dozen counters. Here the counters are
a ``defaultdict`` from counter index to count, so a name costs what it recorded, and
``reset`` gives the memory back. The counter index is hdrh's own (the same arithmetic as
``LatencyHistogram.record``), so nothing is rounded differently: ``to_bytes`` writes
exactly the blob a ``LatencyHistogram`` fed the same samples would write, through hdrh's
encoder on one reusable full-size histogram (``scratch``) per process or recorder.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fastswarm.stats.histogram import (
    BUCKET_BITS,
    HALF_COUNT,
    HALF_MAG,
    HIGHEST_US,
    SUB_BUCKET_MASK,
    LatencyHistogram,
)


class SparseHistogram:
    """Counts per HDR counter index, only for the indexes used; 1 µs .. 1 h, 3 digits.

    ``counts`` is public so the recorder's hot path can bump it inline; samples outside
    the range are clamped into it, as ``LatencyHistogram.record`` does.
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: defaultdict[int, int] = defaultdict(int)

    def record(self, us: int) -> None:
        """Add one sample in microseconds; <1 becomes 1, >1 h becomes 1 h."""
        if us < 1:
            us = 1
        elif us > HIGHEST_US:
            us = HIGHEST_US
        bucket = (us | SUB_BUCKET_MASK).bit_length() - BUCKET_BITS
        self.counts[((bucket + 1) << HALF_MAG) + (us >> bucket) - HALF_COUNT] += 1

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def nonzero(self) -> tuple[np.ndarray, np.ndarray]:
        """The used counter indexes, ascending, and their counts."""
        n = len(self.counts)
        index = np.fromiter(self.counts.keys(), dtype=np.intp, count=n)
        counts = np.fromiter(self.counts.values(), dtype=np.int64, count=n)
        order = np.argsort(index)
        return index[order], counts[order]

    def to_bytes(self, scratch: LatencyHistogram) -> bytes:
        """HdrHistogram's V2 compressed encoding (base64), byte for byte what a
        ``LatencyHistogram`` holding the same samples gives; ``scratch`` must be empty and
        is left empty (only the counters used here are written and cleared)."""
        return scratch.encode_counts(*self.nonzero())

    def to_histogram(self) -> LatencyHistogram:
        """A full ``LatencyHistogram`` with the same counters (for reads and tests)."""
        index, counts = self.nonzero()
        dense = np.zeros(int(index[-1]) + 1 if len(index) else 0, dtype=np.int64)
        dense[index] = counts
        return LatencyHistogram.from_counts(dense)

    def reset(self) -> None:
        """Forget every sample and give the counters' memory back."""
        self.counts.clear()

    def __repr__(self) -> str:
        return f"SparseHistogram(count={self.count}, counters={len(self.counts)})"
