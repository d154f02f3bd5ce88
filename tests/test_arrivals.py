"""Arrival schedules with a fake clock: no drift, the right Poisson mean, ramps, live rate changes."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from fastswarm.engine.arrivals import ArrivalSchedule, RateProfile


def test_uniform_has_no_drift_over_10000_arrivals() -> None:
    s = ArrivalSchedule(300.0)
    times = [s.next_planned() for _ in range(10_000)]
    # Each time is computed from the origin, so the 10,000th is exactly where it should be.
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(9_999 / 300.0, abs=1e-12)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert max(gaps) - min(gaps) < 1e-9


def test_uniform_phases_interleave_workers_into_one_even_stream() -> None:
    workers = [ArrivalSchedule(100.0, phase=i / 2) for i in range(2)]
    merged = sorted(t for w in workers for t in (w.next_planned() for _ in range(1000)))
    gaps = [b - a for a, b in zip(merged, merged[1:], strict=False)]
    assert min(gaps) == pytest.approx(1 / 200.0) and max(gaps) == pytest.approx(1 / 200.0)


def test_duration_ends_the_schedule_at_exactly_rate_times_duration() -> None:
    s = ArrivalSchedule(200.0, duration_s=5.0)
    count = 0
    while s.next_planned() != math.inf:
        count += 1
    assert count == 1000 and s.planned_count == 1000
    halves = [ArrivalSchedule(100.0, phase=i / 2, duration_s=5.0) for i in range(2)]
    total = 0
    for h in halves:
        while h.next_planned() != math.inf:
            total += 1
    assert total == 1000


def test_poisson_mean_gap_and_count_are_right() -> None:
    rate, n = 500.0, 20_000
    s = ArrivalSchedule(rate, arrival="poisson", rng=random.Random(7))
    times = [s.next_planned() for _ in range(n)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    mean = statistics.fmean(gaps)
    # Exponential gaps: sd = mean, so the mean of n gaps is within 4 standard errors.
    assert abs(mean - 1 / rate) < 4 * (1 / rate) / math.sqrt(n)
    assert statistics.pstdev(gaps) == pytest.approx(1 / rate, rel=0.05)
    assert times[-1] == pytest.approx(n / rate, rel=4 / math.sqrt(n))


def test_ramp_follows_the_integral_of_the_rate() -> None:
    # 100/s -> 300/s over 10 s: 2000 arrivals in the ramp, then 300/s.
    s = ArrivalSchedule(100.0, 300.0, ramp_s=10.0)
    times = [s.next_planned() for _ in range(2300)]
    assert sum(1 for t in times if t < 10.0) == 2000
    assert sum(1 for t in times if t < 5.0) == 750  # 100*5 + 0.5*20*5^2
    assert times[2000] == pytest.approx(10.0, abs=1e-9)
    assert times[2299] - times[2298] == pytest.approx(1 / 300.0, abs=1e-9)
    p = RateProfile(100.0, 300.0, 10.0)
    for u in (1.0, 321.5, 1999.0, 2500.0):
        assert p.units(p.time_of(u)) == pytest.approx(u, abs=1e-9)


def test_ramp_down_to_zero_and_rate_zero() -> None:
    s = ArrivalSchedule(100.0, 0.0, ramp_s=2.0)
    times = []
    while (t := s.next_planned()) != math.inf and len(times) < 1000:
        times.append(t)
    assert len(times) == 100  # the area under the ramp
    assert ArrivalSchedule(0.0).next_planned() == math.inf


def test_set_rate_rebases_without_losing_or_duplicating_arrivals() -> None:
    s = ArrivalSchedule(10.0)
    first = [s.next_planned() for _ in range(10)]  # 0.0 .. 0.9
    assert first[-1] == pytest.approx(0.9)
    s.set_rate(100.0, now=0.95)  # unit 10 would have been at 1.0; at 100/s it comes 0.05/10 after
    nxt = [s.next_planned() for _ in range(3)]
    assert nxt == pytest.approx([0.955, 0.965, 0.975])
    s.set_rate(0.0, now=0.98)  # unit 13 (due at 0.985) is half a unit away: never, at rate 0
    assert s.peek() == math.inf
    s.set_rate(50.0, now=3.0)
    assert s.peek() == pytest.approx(3.0 + 0.5 / 50)  # the pending half-unit, at the new rate


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError):
        ArrivalSchedule(10.0, arrival="burst")
    with pytest.raises(ValueError):
        ArrivalSchedule(10.0, phase=1.0)
    with pytest.raises(ValueError):
        RateProfile(-1.0)
