"""A report's histogram blobs, decoded to their non-zero counters before anything is merged."""

from __future__ import annotations

import numpy as np

from fastswarm.stats.hdr_sparse import decode_batch
from fastswarm.stats.histogram import HIGHEST_US, LOWEST_US, SIGNIFICANT_FIGURES, LatencyHistogram


def decode_blobs(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner blob, counter index and count of the blobs' non-zero counters. A blob not in
    fastswarm's layout goes through hdrh; ValueError for one that is no histogram at all."""
    batch = decode_batch(blobs, LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
    owner, index, counts = batch.blob, batch.index, batch.counts
    if not all(batch.decoded):
        lost = [i for i, ok in enumerate(batch.decoded) if not ok]
        extra = [(i, *LatencyHistogram.from_bytes(blobs[i]).nonzero()) for i in lost]
        owner = np.concatenate([owner, *(np.full(len(ix), i, dtype=np.intp) for i, ix, _ in extra)])
        index = np.concatenate([index, *(ix for _, ix, _ in extra)])
        counts = np.concatenate([counts, *(c for _, _, c in extra)])
    return owner, index, counts
