"""Messages for wire tests: one valid example of every type, and ways to spoil their fields.

Shared by test_wire.py (decode refuses each spoiled field) and test_hostile_peer.py (a
rogue peer sends them to a real master, which must drop each and carry on).
"""

from __future__ import annotations

from typing import Any

import msgpack

from fastswarm.ipc import wire
from fastswarm.ipc.messages import (
    PROTOCOL_VERSION,
    Ack,
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


def interval_example(open_model: bool = False) -> IntervalStats:
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
    Hello(PROTOCOL_VERSION, 123, "box", "ab" * 32, "0.1.0", "box-123-a1b2c3"),
    Welcome(1, 2, {"my_opt": 3, "names": ["a", "b"]}, 0.5, 4.0, True),
    Rejected("too many workers"),
    Spawn({"A": 3, "B": 0}, 2.5, "http://127.0.0.1:1", 2),
    SpawningComplete(7),
    Stop(force=True, stop_timeout=2.5),
    Stopped(),
    Quit(),
    ResetStats(),
    Heartbeat(10, 55.5, "running", 1.25),
    StatsReport(interval_example(), 4, {"k": 1}, 7),
    StatsReport(interval_example(open_model=True), 4, {}, 8),
    WorkerError("ValueError", "bad", "Traceback ..."),
    Custom("ping", {"n": [1, 2], "b": b"\x00", "f": None}),
    StartOpen(10.0, 20.0, 5.0, "poisson", 50, 0.5, 30.0, None),
    SetRate(12.5, 20.0, 3.0),
    Ack(9),
    Spawn({}, 1.0, None, 1),
]


def fields_of(message: Any) -> list[Any]:
    """The message's fields as they go on the wire (msgpack primitives)."""
    return list(msgpack.unpackb(wire.encode(message)[1], raw=False))


def frames_with(message: Any, fields: list[Any]) -> list[bytes]:
    """The frames of ``message``'s type carrying ``fields`` instead of its own."""
    return [wire.encode(message)[0], msgpack.packb(fields, use_bin_type=True)]


# A wrong-typed value for any field: a field taking a string gets a number, others a string,
# and free-form data (a custom message's) a msgpack extension type, which fastswarm never sends.
def wrong_value(message: Any, index: int, value: Any) -> Any:
    if isinstance(message, Custom) and index == 1:
        return msgpack.ExtType(5, b"x")
    return 12345 if isinstance(value, str) or value is None else "not the right type"


def spoiled_messages() -> list[tuple[str, list[bytes]]]:
    """For each field of each message type (one StatsReport, one Spawn), its frames with that
    field of the wrong type: (``Type.field``, frames)."""
    import dataclasses

    out = []
    for message in EXAMPLES[:11] + EXAMPLES[12:-1]:
        for index, field in enumerate(dataclasses.fields(message)):
            fields = fields_of(message)
            fields[index] = wrong_value(message, index, fields[index])
            out.append((f"{type(message).__name__}.{field.name}", frames_with(message, fields)))
    return out
