"""Log lines about misbehaving peers, at a bounded rate.

A broken or hostile peer can send thousands of bad messages a second; each one is dropped
and counted, but logging each would bury the run's own output (and cost the master more
than the message did). ``ThrottledLog`` writes at most one line per key (a peer, a kind
of failure) every ``every_s`` seconds and at most ``burst`` lines in all per period; the
next line for a key says how many were left out meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable


class ThrottledLog:
    """Rate-limited lines on ``logger``: one per key per ``every_s``, ``burst`` per period."""

    def __init__(
        self,
        logger: logging.Logger,
        every_s: float = 10.0,
        burst: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.every_s = every_s
        self.burst = burst
        self.clock = clock
        self._last: dict[Hashable, float] = {}  # key -> when its last line was written
        self._skipped: dict[Hashable, int] = {}  # key -> lines left out since then
        self._period_start = -float("inf")
        self._period_lines = 0
        self.skipped_total = 0

    def log(self, level: int, key: Hashable, msg: str, *args: object, exc_info: bool = False) -> bool:
        """Write the line unless this key (or the whole log) had its share; True if written."""
        now = self.clock()
        if now - self._period_start >= self.every_s:
            self._period_start, self._period_lines = now, 0
            if len(self._last) > 10_000:  # forget keys quiet for a period (peers come and go)
                self._last = {k: t for k, t in self._last.items() if now - t < self.every_s}
                self._skipped = {k: n for k, n in self._skipped.items() if k in self._last}
        last = self._last.get(key)
        if (last is not None and now - last < self.every_s) or self._period_lines >= self.burst:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            self.skipped_total += 1
            return False
        self._last[key] = now
        self._period_lines += 1
        skipped = self._skipped.pop(key, 0)
        if skipped:
            msg += f" ({skipped} more like this not logged in the last {self.every_s:.0f} s)"
        self.logger.log(level, msg, *args, exc_info=exc_info)
        return True
