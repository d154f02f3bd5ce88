"""Stats value objects: checks on build (their wire form is tested in test_wire.py)."""

from __future__ import annotations

import pytest

from fastswarm.stats.model import EntryStats, IntervalStats, StatsKey, us_to_ms


def test_stats_key_is_a_tuple_key() -> None:
    d = {StatsKey("GET", "/a"): 1}
    assert d[("GET", "/a")] == 1
    assert EntryStats("GET", "/a", 0, 0, 0, b"").key == StatsKey("GET", "/a")


def test_values_checked_when_built() -> None:
    with pytest.raises(ValueError):
        EntryStats("GET", "/", -1, 0, 0, b"")
    with pytest.raises(ValueError):
        IntervalStats(started_at=2.0, ended_at=1.0)


def test_us_to_ms_keeps_microseconds() -> None:
    assert us_to_ms(412) == 0.412
    assert us_to_ms(1_234_567) == 1234.567
