"""Recorder: per-endpoint counters and histograms, error grouping, interval hand-off."""

from __future__ import annotations

import pytest

from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.recorder import OTHER_ERRORS, Recorder


def test_records_per_endpoint_and_takes_interval() -> None:
    rec = Recorder()
    rec.reset(now=100.0)
    rec.record("GET", "/a", 1000, 10)
    rec.record("GET", "/a", 3000, 30, "HTTPError 500")
    rec.record("POST", "/a", 50, 5)
    iv = rec.take_interval(now=101.5)
    assert (iv.started_at, iv.ended_at) == (100.0, 101.5)
    by_key = {e.key: e for e in iv.entries}
    get = by_key[("GET", "/a")]
    assert (get.requests, get.failures, get.bytes) == (2, 1, 40)
    h = LatencyHistogram.from_bytes(get.histogram)
    assert (h.count, h.min) == (2, 1000)
    assert 3000 <= h.max <= 3002  # its bucket's highest equivalent value (3 digits)
    assert by_key[("POST", "/a")].requests == 1
    assert [(e.method, e.name, e.error, e.count) for e in iv.errors] == [("GET", "/a", "HTTPError 500", 1)]


def test_take_interval_starts_fresh() -> None:
    rec = Recorder()
    rec.record("GET", "/a", 1000, 10, "x")
    first = rec.take_interval()
    assert first.entries
    second = rec.take_interval()
    assert second.started_at == first.ended_at
    assert second.entries == () and second.errors == ()
    rec.record("GET", "/a", 7, 1)
    third = rec.take_interval()
    h = LatencyHistogram.from_bytes(third.entries[0].histogram)
    assert (third.entries[0].requests, third.entries[0].failures, h.count, h.max) == (1, 0, 1, 7)


def test_error_groups_are_capped_without_losing_counts() -> None:
    rec = Recorder(max_error_groups=3)
    for i in range(10):  # ten kinds (a number would not make a group of its own)
        rec.record("GET", "/a", 5, 0, f"error {'abcdefghij'[i]}")
    rec.record("GET", "/a", 5, 0, "error a")
    iv = rec.take_interval()
    counts = {e.error: e.count for e in iv.errors}
    assert len(iv.errors) == 4
    assert counts[OTHER_ERRORS] == 7
    assert counts["error a"] == 2
    assert sum(counts.values()) == iv.entries[0].failures == 11


def _raise(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # we want the traceback attached
        return caught


def test_user_errors_grouped_with_first_traceback() -> None:
    rec = Recorder(max_error_groups=2)
    rec.record_user_error(_raise(KeyError("k")))
    rec.record_user_error(_raise(KeyError("k")))
    rec.record_user_error(_raise(ValueError("v")))
    rec.record_user_error(_raise(RuntimeError("r")))
    iv = rec.take_interval()
    groups = {(u.kind, u.message): u for u in iv.user_errors}
    assert groups[("KeyError", "'k'")].count == 2
    assert "_raise" in groups[("KeyError", "'k'")].traceback
    assert groups[("KeyError", "'k'")].traceback.rstrip().endswith("KeyError: 'k'")
    assert groups[("", OTHER_ERRORS)].count == 1
    assert sum(u.count for u in iv.user_errors) == 4
    assert rec.take_interval().user_errors == ()


def test_reset_drops_everything() -> None:
    rec = Recorder()
    rec.record("GET", "/a", 5, 0, "e")
    rec.record_user_error(ValueError("x"))
    rec.reset(now=50.0)
    iv = rec.take_interval(now=51.0)
    assert (iv.started_at, iv.entries, iv.errors, iv.user_errors) == (50.0, (), (), ())


def test_clock_stepping_back_still_gives_valid_interval() -> None:
    rec = Recorder()
    rec.reset(now=200.0)
    iv = rec.take_interval(now=199.0)
    assert iv.started_at == iv.ended_at == 199.0


def test_bad_cap_rejected() -> None:
    with pytest.raises(ValueError):
        Recorder(max_error_groups=0)
