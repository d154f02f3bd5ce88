"""Stats value objects: wire round trips with msgpack, checks on build and on decode."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from fastswarm.exceptions import ProtocolError
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import (
    EntryStats,
    ErrorStats,
    IntervalStats,
    StatsKey,
    UserErrorStats,
    us_to_ms,
)


def _interval() -> IntervalStats:
    h = LatencyHistogram()
    for v in (120, 450, 9000):
        h.record(v)
    return IntervalStats(
        started_at=1700000000.25,
        ended_at=1700000001.5,
        entries=(EntryStats("GET", "/a", 3, 1, 4096, h.to_bytes()), EntryStats("POST", "/b", 0, 0, 0, b"")),
        errors=(ErrorStats("GET", "/a", "HTTPError 500", 1),),
        user_errors=(UserErrorStats("KeyError", "'x'", 2, "Traceback ...\nKeyError: 'x'\n"),),
    )


def _only_primitives(x: Any) -> bool:
    if isinstance(x, dict):
        return all(isinstance(k, str) and _only_primitives(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_only_primitives(v) for v in x)
    return isinstance(x, str | int | float | bytes)


def test_interval_round_trips_through_msgpack() -> None:
    iv = _interval()
    wire = iv.to_wire()
    assert _only_primitives(wire)
    back = IntervalStats.from_wire(msgpack.unpackb(msgpack.packb(wire, use_bin_type=True), raw=False))
    assert back == iv
    hist = LatencyHistogram.from_bytes(back.entries[0].histogram)
    assert hist.count == 3


@pytest.mark.parametrize(
    "obj",
    [
        EntryStats("GET", "/x", 1, 0, 10, b"abc"),
        ErrorStats("GET", "/x", "boom", 3),
        UserErrorStats("ValueError", "bad", 1, "tb"),
    ],
)
def test_parts_round_trip(obj: Any) -> None:
    assert type(obj).from_wire(obj.to_wire()) == obj


def test_stats_key_is_a_tuple_key() -> None:
    d = {StatsKey("GET", "/a"): 1}
    assert d[("GET", "/a")] == 1
    assert EntryStats("GET", "/a", 0, 0, 0, b"").key == StatsKey("GET", "/a")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda w: w.pop("entries"),
        lambda w: w.__setitem__("started_at", "yesterday"),
        lambda w: w["entries"][0].__setitem__("requests", -1),
        lambda w: w["entries"][0].__setitem__("histogram", 5),
        lambda w: w["errors"][0].__setitem__("count", True),
        lambda w: w.__setitem__("user_errors", [["not", "a", "map"]]),
        lambda w: w.__setitem__("ended_at", 0.0),
    ],
)
def test_bad_wire_raises_protocol_error(mutate: Any) -> None:
    wire = _interval().to_wire()
    mutate(wire)
    with pytest.raises(ProtocolError):
        IntervalStats.from_wire(wire)


def test_values_checked_when_built() -> None:
    with pytest.raises(ValueError):
        EntryStats("GET", "/", -1, 0, 0, b"")
    with pytest.raises(ValueError):
        IntervalStats(started_at=2.0, ended_at=1.0)


def test_us_to_ms_keeps_microseconds() -> None:
    assert us_to_ms(412) == 0.412
    assert us_to_ms(1_234_567) == 1234.567
