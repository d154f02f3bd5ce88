"""The master's C allocator: large blocks straight from the OS and back to it.

The master's per-endpoint counters are numpy arrays that are re-made larger as new latencies
arrive (``stats/counts_table.py``), and its reads build large temporaries. glibc raises its
mmap threshold each time such a block is freed, so later ones come from the heap, and the
holes they leave are not given back. In a 7-minute in-process soak of the aggregator (3,000
names, 300/s; /tmp-only script, figures in the issue 11 note) its RSS grew 3.4 MB over the
last 5 minutes while its counters grew 0.9 MB; with the thresholds fixed, 0.8 MB.
Workers are not changed (set after they are forked).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
LARGE_BLOCK = 128 * 1024  # glibc's default threshold, held there instead of raised


def return_large_blocks() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK) == 1 and mallopt(M_TRIM_THRESHOLD, 2 * LARGE_BLOCK) == 1
    log.debug("mallopt mmap/trim thresholds %s", "set" if done else "refused")
    return bool(done)
