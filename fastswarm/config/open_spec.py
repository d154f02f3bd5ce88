"""``OpenSpec``: one open-model test's plan, and ``Arrival``: how its arrivals are spaced.

The same few values (rate, ramp, arrival, user cap, length) go from the command line or
a load shape to the master's planner and, split per worker, to each worker's pacer; one
value object carries them, checked once when built, so every stage reads the same
meaning and none checks them again. The wire keeps its own fields (``ipc/messages.py``
``StartOpen``); ``ipc/`` converts at the edge.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace


class Arrival(str, enum.Enum):
    """How one worker spaces its arrivals (``--arrival``)."""

    UNIFORM = "uniform"  # evenly, 1/rate apart; workers interleave by phase
    POISSON = "poisson"  # exponential gaps of mean 1/rate: independent arrivals

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class OpenSpec:
    """``rate`` task iterations/s in all, ramping to ``rate_end`` (None: stays flat) over
    ``ramp_s``; at most ``max_users`` users in the pools; ``duration_s`` ends the schedule
    (None: it runs until stopped). A ``ValueError`` names the field that is out of range."""

    rate: float
    rate_end: float | None = None
    ramp_s: float = 0.0
    arrival: Arrival = Arrival.UNIFORM
    max_users: int = 1000
    duration_s: float | None = None

    def __post_init__(self) -> None:
        _check_rate("rate", self.rate)
        if self.rate_end is not None:
            _check_rate("rate_end", self.rate_end)
        if not (math.isfinite(self.ramp_s) and self.ramp_s >= 0):
            raise ValueError(f"ramp_s: must be a finite number >= 0, got {self.ramp_s!r}")
        try:
            object.__setattr__(self, "arrival", Arrival(self.arrival))
        except ValueError:
            names = ", ".join(a.value for a in Arrival)
            raise ValueError(f"arrival: must be one of {names}, got {self.arrival!r}") from None
        if isinstance(self.max_users, bool) or not isinstance(self.max_users, int) or self.max_users < 1:
            raise ValueError(f"max_users: must be a whole number >= 1, got {self.max_users!r}")
        if self.duration_s is not None and not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ValueError(f"duration_s: must be a finite number > 0 or None, got {self.duration_s!r}")

    @property
    def end(self) -> float:
        """The rate at the end of the ramp (``rate`` when flat)."""
        return self.rate if self.rate_end is None else self.rate_end

    def at_rate(self, rate: float) -> OpenSpec:
        """The same plan at a flat ``rate`` (a rate set while it runs): a ramp ends, the rest stays."""
        return replace(self, rate=rate, rate_end=None, ramp_s=0.0)


def _check_rate(name: str, value: float) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
