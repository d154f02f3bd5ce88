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
    Quit,
    Rejected,
    ResetStats,
    SetRate,
    Spawn,
    SpawningComplete,
    StartOpen,
    StatsReport,
    Stop,
    Stopped,
    Welcome,
    WorkerError,
)
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats, OpenIntervalStats, UserErrorStats


def _interval(open_model: bool = False) -> IntervalStats:
    h = LatencyHistogram()
    for v in (120, 450, 9000):
        h.record(v)
    return IntervalStats(
        started_at=1700000000.25,
        ended_at=1700000001.5,
        entries=(EntryStats("GET", "/a", 3, 1, 4096, h.to_bytes()), EntryStats("POST", "/b", 0, 0, 0, b"")),
        errors=(ErrorStats("GET", "/a", "HTTPError 500", 1),),
        user_errors=(UserErrorStats("KeyError", "'x'", 2, "Traceback ...\nKeyError: 'x'\n"),),
        open_model=OpenIntervalStats(10, 1, 2, h.to_bytes()) if open_model else None,
    )


# One valid message of every type.
EXAMPLES: list[Any] = [
    Hello(PROTOCOL_VERSION, 123, "box", "ab" * 32, "0.1.0"),
    Welcome(1, 2, {"my_opt": 3, "names": ["a", "b"]}),
    Rejected("too many workers"),
    Spawn({"A": 3, "B": 0}, 2.5, "http://127.0.0.1:1", 2),
    SpawningComplete(7),
    Stop(force=True, stop_timeout=2.5),
    Stopped(),
    Quit(),
    ResetStats(),
    Heartbeat(10, 55.5, "running", 1.25),
    StatsReport(_interval(), 4, {"k": 1}),
    StatsReport(_interval(open_model=True), 4, {}),
    WorkerError("ValueError", "bad", "Traceback ..."),
    Custom("ping", {"n": [1, 2], "b": b"\x00", "f": None}),
    StartOpen(10.0, 20.0, 5.0, "poisson", 50, 0.5, 30.0, None),
    SetRate(12.5),
    Spawn({}, 1.0, None, 1),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(message: Any) -> None:
    assert wire.decode(wire.encode(message)) == message


def test_every_type_has_an_example_and_a_distinct_tag() -> None:
    assert {type(m) for m in EXAMPLES} == set(MESSAGE_TYPES)
    tags = [cls.TAG for cls in MESSAGE_TYPES]  # type: ignore[attr-defined]
    assert len(set(tags)) == len(tags)


def test_histograms_travel_as_raw_bytes_not_base64() -> None:
    frames = wire.encode(StatsReport(_interval(), 4, {}))
    fields = msgpack.unpackb(frames[1], raw=False)
    histogram = fields[0][2][0][5]
    assert isinstance(histogram, bytes) and histogram == _interval().entries[0].histogram
    assert histogram[:4] == bytes.fromhex("1c849314")  # the V2 compression cookie, not base64 text


def _fields(message: Any) -> list[Any]:
    """The message's fields as they go on the wire (msgpack primitives)."""
    return list(msgpack.unpackb(wire.encode(message)[1], raw=False))


def _frames(message: Any, fields: list[Any]) -> list[bytes]:
    return [wire.encode(message)[0], msgpack.packb(fields, use_bin_type=True)]



# A wrong-typed value for any field: a field taking a string gets a number, others a string,
# and free-form data (a custom message's) a msgpack extension type, which fastswarm never sends.
def _wrong(message: Any, index: int, value: Any) -> Any:
    if isinstance(message, Custom) and index == 1:
        return msgpack.ExtType(5, b"x")
    return 12345 if isinstance(value, str) or value is None else "not the right type"


WRONG_FIELDS = [
    pytest.param(m, i, id=f"{type(m).__name__}.{f.name}")
    for m in EXAMPLES[:11] + EXAMPLES[12:-1]  # one StatsReport, one Spawn are enough
    for i, f in enumerate(dataclasses.fields(m))
]


@pytest.mark.parametrize(("message", "index"), WRONG_FIELDS)
def test_each_field_of_the_wrong_type_is_one_protocol_error(message: Any, index: int) -> None:
    fields = _fields(message)
    fields[index] = _wrong(message, index, fields[index])
    name = dataclasses.fields(message)[index].name
    with pytest.raises(ProtocolError, match=f"malformed {message.TAG.decode()} message: {name}"):
        wire.decode(_frames(message, fields))


WITH_FIELDS = [m for m in EXAMPLES if dataclasses.fields(m)]


@pytest.mark.parametrize("message", WITH_FIELDS, ids=lambda m: type(m).__name__)
def test_a_missing_or_extra_field_is_refused(message: Any) -> None:
    fields = _fields(message)
    for bad in (fields[:-1], [*fields, 1]):
        with pytest.raises(ProtocolError, match="expected .* fields"):
            wire.decode(_frames(message, bad))


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
        (StartOpen(1.0, 1.0, 0.0, "uniform", 1, 0.0, 0.0, None), 5, 1.5, "outside"),
        (StartOpen(1.0, 1.0, 0.0, "uniform", 1, 0.0, 0.0, None), 3, "bursty", "not one of"),
        (Custom("t", None), 1, _nested(20), "nested"),
        (Stop(), 0, 1, "expected true or false"),
    ],
)
def test_bounds_are_checked(message: Any, index: int, value: Any, reason: str) -> None:
    fields = _fields(message)
    fields[index] = value
    with pytest.raises(ProtocolError, match=reason):
        wire.decode(_frames(message, fields))


def _report_fields() -> list[Any]:
    return _fields(StatsReport(_interval(), 4, {}))


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
    fields = _report_fields()
    mutate(fields[0])
    with pytest.raises(ProtocolError, match="malformed stats message: interval"):
        wire.decode(_frames(StatsReport(_interval(), 4, {}), fields))


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
