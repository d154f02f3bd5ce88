"""The wire: every message type round-trips, and anything else is one ProtocolError.

Each type's schema is checked field by field: for every field of every type, a value of
the wrong type is refused with a reason naming the type and the field, so no handler ever
sees a half-checked message (issue 10: one bad Heartbeat used to kill the master's inbox).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import msgpack
import pytest

from fastswarm.exceptions import ProtocolError
from fastswarm.ipc import wire
from fastswarm.ipc.messages import (
    MESSAGE_TYPES,
    PROTOCOL_VERSION,
    Custom,
    Heartbeat,
    Hello,
    Spawn,
    StartOpen,
    StatsReport,
    Stop,
    WorkerError,
)
from fastswarm.stats.model import ErrorStats, IntervalStats
from tests.wire_cases import EXAMPLES, fields_of, frames_with, interval_example, spoiled_messages


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(message: Any) -> None:
    assert wire.decode(wire.encode(message)) == message


def test_every_type_has_an_example_and_a_distinct_tag() -> None:
    assert {type(m) for m in EXAMPLES} == set(MESSAGE_TYPES)
    tags = [cls.TAG for cls in MESSAGE_TYPES]  # type: ignore[attr-defined]
    assert len(set(tags)) == len(tags)


def test_histograms_travel_as_raw_bytes_not_base64() -> None:
    frames = wire.encode(StatsReport(interval_example(), 4, {}))
    fields = msgpack.unpackb(frames[1], raw=False)
    histogram = fields[0][2][0][5]
    assert isinstance(histogram, bytes) and histogram == interval_example().entries[0].histogram
    assert histogram[:4] == bytes.fromhex("1c849314")  # the V2 compression cookie, not base64 text


@pytest.mark.parametrize(("where", "frames"), spoiled_messages(), ids=[w for w, _ in spoiled_messages()])
def test_each_field_of_the_wrong_type_is_one_protocol_error(where: str, frames: list[bytes]) -> None:
    type_name, field = where.split(".")
    tag = next(cls.TAG for cls in MESSAGE_TYPES if cls.__name__ == type_name)  # type: ignore[attr-defined]
    with pytest.raises(ProtocolError, match=f"malformed {tag.decode()} message: {field}"):
        wire.decode(frames)


def test_every_field_of_every_type_is_spoiled_once() -> None:
    expected = {f"{cls.__name__}.{f.name}" for cls in MESSAGE_TYPES for f in dataclasses.fields(cls)}
    spoiled = [w for w, _ in spoiled_messages()]
    assert len(spoiled) == len(set(spoiled)) and set(spoiled) == expected


WITH_FIELDS = [m for m in EXAMPLES if dataclasses.fields(m)]


@pytest.mark.parametrize("message", WITH_FIELDS, ids=lambda m: type(m).__name__)
def test_a_missing_or_extra_field_is_refused(message: Any) -> None:
    fields = fields_of(message)
    for bad in (fields[:-1], [*fields, 1]):
        with pytest.raises(ProtocolError, match="expected .* fields"):
            wire.decode(frames_with(message, bad))


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("message", "index", "value", "reason"),
    [
        (Heartbeat(1, 2.0, "running", 0.0), 1, math.nan, "outside"),
        (Heartbeat(1, 2.0, "running", 0.0), 1, math.inf, "outside"),
        (Heartbeat(1, 2.0, "running", 0.0), 0, -1, "outside"),
        (Heartbeat(1, 2.0, "running", 0.0), 0, True, "expected an integer"),
        (Heartbeat(1, 2.0, "running", 0.0), 2, "dancing", "not one of"),
        (Spawn({"A": 1}, 1.0, None, 1), 0, {"A": -1}, "outside"),
        (Spawn({"A": 1}, 1.0, None, 1), 0, {str(i): 1 for i in range(10_001)}, "more than"),
        (Spawn({"A": 1}, 1.0, None, 1), 3, 0, "outside"),
        (Spawn({"A": 1}, 1.0, None, 1), 2, "h" * 5000, "more than"),
        (Hello(PROTOCOL_VERSION, 1, "box", "", ""), 2, "x" * 256, "more than"),
        (Hello(PROTOCOL_VERSION, 1, "box", "", ""), 2, "box\n2026-01-01 ERROR forged", "control characters"),
        (StartOpen(1.0, 1.0, 0.0, "uniform", 1, 0.0, 0.0, None), 5, 1.5, "outside"),
        (StartOpen(1.0, 1.0, 0.0, "uniform", 1, 0.0, 0.0, None), 3, "bursty", "not one of"),
        (Custom("t", None), 1, _nested(20), "nested"),
        (Stop(), 0, 1, "expected true or false"),
    ],
)
def test_bounds_are_checked(message: Any, index: int, value: Any, reason: str) -> None:
    fields = fields_of(message)
    fields[index] = value
    with pytest.raises(ProtocolError, match=reason):
        wire.decode(frames_with(message, fields))


def _reportfields_of() -> list[Any]:
    return fields_of(StatsReport(interval_example(), 4, {}))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda w: w.pop(2),  # no entries
        lambda w: w.__setitem__(0, "yesterday"),
        lambda w: w[2][0].__setitem__(2, -1),  # negative requests
        lambda w: w[2][0].__setitem__(3, 4),  # more failures than requests
        lambda w: w[2][0].__setitem__(5, 5),  # a histogram that is not bytes
        lambda w: w[2][0].__setitem__(5, "aGVsbG8="),  # base64 text is not bytes either
        lambda w: w[3][0].__setitem__(3, True),  # a bool count
        lambda w: w.__setitem__(4, [["not", "a", "row"]]),
        lambda w: w.__setitem__(1, 0.0),  # ended before it started
        lambda w: w.__setitem__(5, [1, 2, 3]),  # an open-model row of 3 fields
        lambda w: w.__setitem__(2, {"not": "a list"}),
    ],
)
def test_bad_interval_is_one_protocol_error(mutate: Any) -> None:
    fields = _reportfields_of()
    mutate(fields[0])
    with pytest.raises(ProtocolError, match="malformed stats message: interval"):
        wire.decode(frames_with(StatsReport(interval_example(), 4, {}), fields))


def test_worker_texts_are_clipped_to_the_bounds_not_refused() -> None:
    long = "x" * 100_000
    iv = IntervalStats(1.0, 2.0, errors=(ErrorStats("GET", "/", long, 1),))
    back = wire.decode(wire.encode(StatsReport(iv, 0, {})))
    assert isinstance(back, StatsReport)
    assert back.interval.errors[0].error == long[:16_384]
    error = wire.decode(wire.encode(WorkerError("E", long, "start" + long + "end")))
    assert isinstance(error, WorkerError)
    assert error.traceback.endswith("end") and len(error.traceback) == 65_536


def test_wrong_version_is_refused_by_name() -> None:
    head, payload = wire.encode(Stop())
    with pytest.raises(ProtocolError, match="protocol version 99"):
        wire.decode([bytes([99]) + head[1:], payload])


def test_unknown_type_and_garbage_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="unknown message type"):
        wire.decode([bytes([PROTOCOL_VERSION]) + b"nope", msgpack.packb([])])
    with pytest.raises(ProtocolError, match="malformed"):
        wire.decode([bytes([PROTOCOL_VERSION]) + Hello.TAG, msgpack.packb([1])])
    with pytest.raises(ProtocolError, match="expected 2 frames"):
        wire.decode([b"x"])
    with pytest.raises(ProtocolError, match="malformed hb message"):
        wire.decode([bytes([PROTOCOL_VERSION]) + Heartbeat.TAG, b"\xc1\xff garbage"])
    with pytest.raises(ProtocolError, match="malformed hb message"):
        wire.decode([bytes([PROTOCOL_VERSION]) + Heartbeat.TAG, msgpack.packb({"users": 1})])
    with pytest.raises(ProtocolError, match="malformed custom message: data"):
        ext = msgpack.packb(["t", msgpack.ExtType(5, b"x")])
        wire.decode([bytes([PROTOCOL_VERSION]) + Custom.TAG, ext])
