"""The open model in one process: pool reuse, dropped and late counting, corrected latency, pacing."""

from __future__ import annotations

import math
import random
import time
from typing import Any

import gevent
import pytest

from fastswarm.config.open_spec import OpenSpec
from fastswarm.engine.open_model import OpenModelRunner
from fastswarm.env import Environment
from fastswarm.event import Events
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.open_stats import LATE_AFTER_S, ArrivalCounters, GeneratorHealth
from fastswarm.stats.recorder import Recorder
from fastswarm.stats.report import RunInfo, build_json_report
from fastswarm.user import wait_time as wt
from fastswarm.user.task import task
from fastswarm.user.users import User


def _env() -> Environment:
    return Environment(events=Events(), recorder=Recorder())  # type: ignore[arg-type]


class Slow(User):
    starts = 0
    iterations = 0

    def on_start(self) -> None:
        type(self).starts += 1

    @task
    def work(self) -> None:
        type(self).iterations += 1
        gevent.sleep(0.05)


def test_full_pool_drops_arrivals_and_reuses_users() -> None:
    Slow.starts = Slow.iterations = 0
    runner = OpenModelRunner(_env(), [Slow])
    # 100/s for 0.5 s = 50 arrivals; 2 users busy 50 ms each can take about 20 of them.
    runner.start(OpenSpec(100.0, max_users=2, duration_s=0.5))
    gevent.sleep(0.8)
    planned = runner.schedule.planned_count if runner.schedule else 0
    counters = runner.counters
    assert planned == 50
    assert counters.iterations == Slow.iterations
    assert counters.iterations + counters.dropped == planned
    assert counters.dropped > 10 and counters.iterations > 10
    assert Slow.starts == 2  # on_start once per pooled user, however many tasks it ran
    assert runner.user_count == 2
    runner.stop(timeout=1)
    assert runner.user_count == 0


def test_idle_users_are_reused_and_none_dropped_when_the_pool_suffices() -> None:
    Slow.starts = Slow.iterations = 0
    runner = OpenModelRunner(_env(), [Slow])
    runner.start(OpenSpec(40.0, max_users=10, duration_s=0.5))  # 20 arrivals, each user busy 50 ms
    gevent.sleep(0.8)
    assert runner.counters.iterations == 20 and runner.counters.dropped == 0
    assert Slow.starts <= 4  # 40/s * 50 ms = 2 busy at a time, plus slack
    runner.stop(timeout=0)


def test_set_rate_changes_the_pace_live() -> None:
    Slow.starts = Slow.iterations = 0
    runner = OpenModelRunner(_env(), [Slow])
    runner.start(OpenSpec(1.0, max_users=50))
    gevent.sleep(0.3)
    assert runner.counters.iterations == 1
    runner.set_rate(100.0)  # the pacer was asleep for a second: it must wake and re-plan
    gevent.sleep(0.5)
    assert 40 <= runner.counters.iterations <= 60
    runner.stop(timeout=0)


def test_late_and_lag_counting() -> None:
    c = ArrivalCounters()
    c.started(0.0002)
    c.started(LATE_AFTER_S / 2)
    c.started(LATE_AFTER_S * 2)
    c.started(1.5)
    c.drop()
    out = c.take()
    assert (out.iterations, out.late, out.dropped) == (4, 2, 1)
    lag = LatencyHistogram.from_bytes(out.lag_histogram)
    assert lag.count == 4 and lag.max == pytest.approx(1_500_000, rel=0.001)
    assert c.take().iterations == 0


def test_corrected_latency_is_completion_minus_planned_start() -> None:
    rec = Recorder()
    planned: list[float | None] = [None]
    rec.enable_open_model(lambda: planned[0], ArrivalCounters())
    planned[0] = time.perf_counter() - 0.200  # the iteration was planned 200 ms ago
    rec.record("GET", "/a", 1_000, 10)  # served in 1 ms: it started 199 ms late
    planned[0] = None
    rec.record("GET", "/a", 2_000, 10)  # outside an iteration: corrected = service time
    interval = rec.take_interval()
    (entry,) = interval.entries
    plain = LatencyHistogram.from_bytes(entry.histogram)
    corrected = LatencyHistogram.from_bytes(entry.corrected)
    assert plain.max == pytest.approx(2_000, rel=0.001)
    assert corrected.count == 2
    assert 200_000 <= corrected.max <= 260_000
    assert corrected.min == pytest.approx(2_000, rel=0.001)
    assert interval.open_model is not None
    # The closed model records no corrected histogram and ships no open-model counts.
    rec.disable_open_model()
    rec.record("GET", "/a", 1_000, 10)
    closed = rec.take_interval()
    assert closed.entries[0].corrected == b"" and closed.open_model is None


def test_aggregator_and_json_report_carry_the_open_model() -> None:
    rec = Recorder()
    counters = ArrivalCounters()
    rec.enable_open_model(lambda: time.perf_counter() - 0.010, counters)
    for _ in range(100):
        counters.started(0.001)
        rec.record("GET", "/x", 500, 1)
    counters.drop()
    agg = Aggregator()
    agg.start(1_700_000_000.0)
    agg.target_rate = 50.0
    agg.add("w0", rec.take_interval(now=1_700_000_002.0))
    agg.generator.observe("0", 95.0, 1.0)
    report = build_json_report(agg, RunInfo(1_700_000_000.0, 2.0, "http://t", 0, 1, rate=(50.0, 50.0)))
    assert report["run"]["rate"] == {"start": 50.0, "end": 50.0}
    om = report["open_model"]
    assert (om["iterations"], om["dropped"], om["late"]) == (100, 1, 0)
    assert om["achieved_rate"] == pytest.approx(50.0)
    corrected = report["totals"]["corrected_latency_ms"]
    assert corrected["p50"] >= 10.0 > report["totals"]["latency_ms"]["p50"]
    assert report["generator_limited"] is True and "CPU 95%" in report["generator_limited_reason"]


def test_generator_health_flags_cpu_or_loop_lag() -> None:
    g = GeneratorHealth()
    g.observe("0", 50.0, 3.0)
    assert not g.limited and g.reason is None
    g.observe("1", 20.0, 80.0)
    assert g.limited and "event-loop lag 80 ms" in (g.reason or "")
    g.observe("0", 99.0, 0.0)
    assert "lag" in (g.reason or "")  # the first reason stays
    assert g.to_json()["generator_peak_cpu_percent"] == 99.0


@pytest.mark.parametrize("make", [wt.constant_pacing, lambda s: wt.constant_throughput(1 / s)])
def test_constant_pacing_does_not_drift_over_10000_tasks(monkeypatch: Any, make: Any) -> None:
    """Fake clock: tasks take random time, every sleep overshoots; starts stay on the grid."""
    now = [1000.0]
    monkeypatch.setattr(wt, "_clock", lambda: now[0])
    interval = 0.1
    wait = make(interval)
    owner = type("Owner", (), {})()
    wt.mark_task_start(owner)
    rng = random.Random(3)
    starts = []
    for _ in range(10_000):
        starts.append(now[0])
        now[0] += rng.uniform(0, 0.05)  # the task
        now[0] += wait(owner) + rng.uniform(0, 0.002)  # the sleep, always a little late
    drift = starts[-1] - (starts[0] + 9_999 * interval)
    assert 0 <= drift <= 0.002  # one sleep's overshoot, not 10,000 of them
    assert math.isclose(starts[5000] - starts[0], 5000 * interval, abs_tol=0.002)
