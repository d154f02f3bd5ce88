"""Open-model arrival schedules: when each iteration is planned to start, from absolute time.

Arrivals are counted in "arrival units": arrival ``i`` of a uniform schedule sits at unit
``i + phase``; a Poisson schedule draws each gap in units from Exp(1). A rate profile maps
time to units, ``U(t) = integral of rate``, and each arrival is planned at ``U^-1(unit)``.
So a planned time is always computed from the schedule's origin and the arrival's unit,
never by adding up sleeps or intervals: over any number of arrivals nothing drifts, and a
rate change (``set_rate``) only re-bases the profile at the moment it happens.

Pure arithmetic over plain floats (seconds since the schedule began): no clock, no gevent,
so tests drive it with a fake clock and the pacer (``open_model.py``) adds the real one.
"""

from __future__ import annotations

import math
import random

from fastswarm.config.open_spec import Arrival


class RateProfile:
    """Rate over time: ``start`` per second ramping linearly to ``end`` over ``ramp_s``, then flat.

    ``units(t)`` is the number of arrival units due by ``t`` (seconds since ``origin``);
    ``time_of(u)`` is its inverse. Both are closed forms, so a ramp has no step error.
    """

    __slots__ = ("origin", "base_units", "start", "end", "ramp_s")

    def __init__(
        self,
        start: float,
        end: float | None = None,
        ramp_s: float = 0.0,
        origin: float = 0.0,
        base_units: float = 0.0,
    ) -> None:
        end = start if end is None else end
        if start < 0 or end < 0 or ramp_s < 0:
            raise ValueError("rates and ramp must be >= 0")
        self.origin = origin
        self.base_units = base_units
        self.start = start
        self.end = end
        self.ramp_s = ramp_s if end != start else 0.0

    def rate_at(self, t: float) -> float:
        """The rate (per second) at time ``t``."""
        dt = t - self.origin
        if dt >= self.ramp_s:
            return self.end
        if dt <= 0:
            return self.start
        return self.start + (self.end - self.start) * dt / self.ramp_s

    def units(self, t: float) -> float:
        """Arrival units due between the origin and ``t`` (plus ``base_units``)."""
        dt = max(0.0, t - self.origin)
        if dt < self.ramp_s:
            slope = (self.end - self.start) / self.ramp_s
            return self.base_units + self.start * dt + 0.5 * slope * dt * dt
        ramp_units = 0.5 * (self.start + self.end) * self.ramp_s
        return self.base_units + ramp_units + self.end * (dt - self.ramp_s)

    def time_of(self, u: float) -> float:
        """When unit ``u`` falls due; ``inf`` when the rate never gets there (rate 0)."""
        du = u - self.base_units
        if du < 0:
            return self.origin  # already due
        if du == 0:
            return self.origin if self.start > 0 or self.end > 0 else math.inf
        ramp_units = 0.5 * (self.start + self.end) * self.ramp_s
        if du < ramp_units:
            slope = (self.end - self.start) / self.ramp_s
            # Root of start*dt + slope/2*dt^2 = du, in the form that stays exact as slope -> 0.
            return self.origin + 2.0 * du / (
                self.start + math.sqrt(self.start * self.start + 2.0 * slope * du)
            )
        if self.end <= 0:
            return math.inf
        return self.origin + self.ramp_s + (du - ramp_units) / self.end


class ArrivalSchedule:
    """The planned start times of one worker's arrivals, in seconds since the schedule began.

    ``phase`` (0..1, in units) shifts a uniform schedule so that N workers pacing R/N each
    interleave into one even stream of rate R. ``duration_s`` ends the schedule: no arrival
    is planned at or after it, so ``--rate R -t D`` makes R*D iterations, not one more.
    """

    def __init__(
        self,
        rate: float,
        rate_end: float | None = None,
        ramp_s: float = 0.0,
        arrival: Arrival | str = Arrival.UNIFORM,
        phase: float = 0.0,
        duration_s: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        try:
            kind = Arrival(arrival)
        except ValueError:
            names = [a.value for a in Arrival]
            raise ValueError(f"arrival must be one of {names}, got {arrival!r}") from None
        if not 0.0 <= phase < 1.0:
            raise ValueError(f"phase must be in [0, 1), got {phase!r}")
        self.profile = RateProfile(rate, rate_end, ramp_s)
        self.poisson = kind is Arrival.POISSON
        self.duration_s = duration_s
        self._rng = rng or random.Random()
        self._index = 0
        self._unit = self._rng.expovariate(1.0) if self.poisson else phase

    @property
    def planned_count(self) -> int:
        """How many arrivals ``next_planned`` has handed out."""
        return self._index

    def peek(self) -> float:
        """The planned time of the next arrival (``inf`` if there is none)."""
        t = self.profile.time_of(self._unit)
        if self.duration_s is not None and t >= self.duration_s:
            return math.inf
        return t

    def next_planned(self) -> float:
        """The next arrival's planned time, then move past it (``inf``: the schedule is over)."""
        t = self.peek()
        if t != math.inf:
            self._index += 1
            self._unit += self._rng.expovariate(1.0) if self.poisson else 1.0
        return t

    def rate_at(self, t: float) -> float:
        return self.profile.rate_at(t)

    def set_rate(self, rate: float, now: float, rate_end: float | None = None, ramp_s: float = 0.0) -> None:
        """From ``now`` on, ``rate`` (ramping to ``rate_end`` over ``ramp_s``; flat by default, so
        any ramp in progress ends); arrivals already due stay due."""
        if rate < 0:
            raise ValueError(f"rate must be >= 0, got {rate!r}")
        units = self.profile.units(now)
        self.profile = RateProfile(rate, rate_end, ramp_s, origin=now, base_units=units)
