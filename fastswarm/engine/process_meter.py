"""What a worker reports of its own process beside its load: CPU use and resident memory."""

from __future__ import annotations

import resource
import time


class CpuMeter:
    """This process's CPU use, as a percentage of one core since the previous reading."""

    def __init__(self) -> None:
        self._last_cpu = self._cpu()
        self._last_wall = time.monotonic()

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def read(self) -> float:
        cpu, wall = self._cpu(), time.monotonic()
        spent, elapsed = cpu - self._last_cpu, wall - self._last_wall
        self._last_cpu, self._last_wall = cpu, wall
        return 100.0 * spent / elapsed if elapsed > 0 else 0.0


def resident_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0
