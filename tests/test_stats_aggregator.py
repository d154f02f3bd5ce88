"""Aggregator: measured rates, per-second history, the current window, errors, reset."""

from __future__ import annotations

import pytest

from fastswarm.stats.aggregator import TOTAL_NAME, Aggregator
from fastswarm.stats.model import ErrorStats, IntervalStats, UserErrorStats
from fastswarm.stats.recorder import OTHER_ERRORS, Recorder


def _interval(
    start: float, end: float, n: int, name: str = "/a", us: int = 1000, fail: int = 0, method: str = "GET"
) -> IntervalStats:
    rec = Recorder()
    rec.reset(now=start)
    for i in range(n):
        rec.record(method, name, us, 100, "boom" if i < fail else None)
    return rec.take_interval(now=end)


def test_run_rates_use_measured_duration() -> None:
    agg = Aggregator()
    agg.start(100.0)
    agg.add("w0", _interval(100.0, 101.0, 50))
    agg.add("w1", _interval(100.0, 101.0, 30, fail=3))
    agg.add("w0", _interval(101.0, 102.0, 20))
    assert agg.duration_s == 2.0
    (row,) = agg.endpoint_rows()
    assert (row.requests, row.failures) == (100, 3)
    assert row.rps == 50.0
    assert row.failures_per_s == 1.5
    assert row.bytes_avg == 100.0
    assert row.latency.p50 == pytest.approx(1.0, abs=0.001)


def test_rows_sorted_by_name_then_method_and_totals() -> None:
    agg = Aggregator()
    agg.start(0.0)
    agg.add("w", _interval(0.0, 1.0, 2, name="/b", us=2000))
    agg.add("w", _interval(0.0, 1.0, 1, name="/a", method="POST", us=3000))
    agg.add("w", _interval(0.0, 1.0, 1, name="/a", method="GET", us=1000))
    assert [(r.method, r.name) for r in agg.endpoint_rows()] == [("GET", "/a"), ("POST", "/a"), ("GET", "/b")]
    tot = agg.totals_row()
    assert (tot.method, tot.name, tot.requests) == ("", TOTAL_NAME, 4)
    assert tot.latency.min == pytest.approx(1.0, abs=0.001)
    assert tot.latency.max == pytest.approx(3.0, abs=0.003)


def test_history_rates_per_second_from_each_workers_interval_length() -> None:
    agg = Aggregator()
    agg.start(10.0)
    agg.users = 5
    # Two workers in second 11: w0 did 10 requests in 0.5 s, w1 30 in 1 s -> 20 + 30 rps.
    agg.add("w0", _interval(10.7, 11.2, 10, fail=2))
    agg.add("w1", _interval(10.1, 11.1, 30))
    agg.users = 8
    agg.add("w0", _interval(11.2, 12.2, 40))
    hist = agg.history()
    assert [p.t for p in hist] == [11.0, 12.0]
    assert hist[0].rps == pytest.approx(50.0)
    assert hist[0].failures_per_s == pytest.approx(4.0)
    assert hist[0].users == 5
    assert hist[1].rps == pytest.approx(40.0)
    assert hist[1].users == 8
    assert hist[1].p50 == pytest.approx(1.0, abs=0.001)


def test_current_window_slides_and_history_survives_finalization() -> None:
    agg = Aggregator(window_s=3.0)
    agg.start(0.0)
    for s in range(10):
        us = 1000 if s < 5 else 8000
        agg.add("w", _interval(float(s), s + 1.0, 10 * (s + 1), us=us))
    (row,) = agg.endpoint_rows()
    # Window = the last 3 one-second buckets (8, 9, 10): 80 + 90 + 100 requests in 3 s.
    assert row.current_rps == pytest.approx(90.0)
    assert row.current_p50 == pytest.approx(8.0, abs=0.01)
    assert row.latency.p50 == pytest.approx(8.0, abs=0.01)  # 400 of 550 samples are 8 ms
    hist = agg.history()
    assert len(hist) == 10
    assert hist[0].p50 == pytest.approx(1.0, abs=0.001)  # finalized bucket kept its percentiles
    assert hist[0].rps == pytest.approx(10.0)
    assert hist[-1].p99 == pytest.approx(8.0, abs=0.01)
    # Traffic stopped: a later `now` leaves the window empty.
    (later,) = agg.endpoint_rows(now=30.0)
    assert later.current_rps == 0.0 and later.current_p95 == 0.0
    assert agg.totals_row(now=30.0).current_rps == 0.0
    assert agg.totals_row().current_rps == pytest.approx(90.0)


def test_history_limit_bounds_points() -> None:
    agg = Aggregator(window_s=2.0, history_limit=5)
    agg.start(0.0)
    for s in range(12):
        agg.add("w", _interval(float(s), s + 1.0, 1))
    hist = agg.history()
    assert [p.t for p in hist] == [8.0, 9.0, 10.0, 11.0, 12.0]
    agg.add("w", _interval(0.0, 1.5, 1))  # too old for history, still counted in totals
    assert len(agg.history()) == 5
    assert agg.totals_row().requests == 13


def test_errors_merged_sorted_and_capped() -> None:
    agg = Aggregator(max_error_groups=2)
    agg.start(0.0)
    iv = IntervalStats(
        0.0,
        1.0,
        errors=(ErrorStats("GET", "/a", "e1", 1), ErrorStats("GET", "/b", "e2", 5)),
        user_errors=(UserErrorStats("KeyError", "'k'", 2, "tb1"),),
    )
    agg.add("w0", iv)
    agg.add(
        "w1",
        IntervalStats(
            0.0,
            1.0,
            errors=(ErrorStats("GET", "/a", "e1", 9), ErrorStats("GET", "/c", "e3", 4)),
            user_errors=(UserErrorStats("KeyError", "'k'", 1, "tb2"), UserErrorStats("X", "y", 1, "t")),
        ),
    )
    assert [(e.error, e.count) for e in agg.errors()] == [("e1", 10), ("e2", 5), (OTHER_ERRORS, 4)]
    (ue, ue2) = agg.user_errors()
    assert (ue.kind, ue.count, ue.traceback) == ("KeyError", 3, "tb1")
    assert (ue2.kind, ue2.count) == ("X", 1)


def test_reset_clears_and_restarts_clock() -> None:
    agg = Aggregator()
    agg.start(0.0)
    agg.add("w", _interval(0.0, 1.0, 10, fail=1))
    agg.reset(50.0)
    assert agg.started_at == 50.0
    assert agg.endpoint_rows() == [] and agg.errors() == [] and agg.history() == []
    assert agg.duration_s == 0.0
    assert agg.totals_row().requests == 0 and agg.totals_row().rps == 0.0
    agg.add("w", _interval(50.0, 52.0, 10))
    assert agg.totals_row().rps == 5.0


def test_empty_aggregator_rows() -> None:
    agg = Aggregator()
    tot = agg.totals_row()
    assert (tot.requests, tot.rps, tot.latency.p99, tot.current_rps) == (0, 0.0, 0.0, 0.0)


def test_bad_settings_rejected() -> None:
    with pytest.raises(ValueError):
        Aggregator(window_s=0)
    with pytest.raises(ValueError):
        Aggregator(history_limit=0)
