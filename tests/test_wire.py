from __future__ import annotations

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
    StatsReport,
    Stop,
)


@pytest.mark.parametrize(
    "message",
    [
        Hello(PROTOCOL_VERSION, 123, "box"),
        Spawn({"A": 3, "B": 0}, 2.5, "http://127.0.0.1:1", 2),
        Stop(force=True),
        Heartbeat(10, 55.5, "running", 1.25),
        StatsReport({"entries": [["GET", "/", 1, 0, 2, b"\x00\x01hist"]]}, 4, {"k": 1}),
        Custom("ping", {"n": [1, 2]}),
    ],
)
def test_round_trip(message: object) -> None:
    assert wire.decode(wire.encode(message)) == message  # type: ignore[arg-type]


def test_every_type_has_a_distinct_tag() -> None:
    tags = [cls.TAG for cls in MESSAGE_TYPES]  # type: ignore[attr-defined]
    assert len(set(tags)) == len(tags)


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
