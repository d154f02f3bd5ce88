"""Messages to bytes and back: the one place where the protocol is converted and checked.

A message travels as two ZeroMQ frames: ``[version byte + TAG, msgpack(list of fields)]``.
The version byte is checked on every message, so a worker from another release is
refused by name instead of misread. Each type has a schema here: one ``schema`` check per
field, in declaration order. ``decode`` returns a message whose every field has its
declared type and lies within the protocol's bounds, or raises ``ProtocolError`` with a
short reason naming the type and the field; nothing half-checked reaches a handler.
Histograms are msgpack ``bin`` values inside the payload: HdrHistogram's own V2
compressed encoding, never re-encoded. ``wire_stats.py`` converts a StatsReport's interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import msgpack

from fastswarm.config.open_spec import Arrival
from fastswarm.engine.state import WORKER_STATES
from fastswarm.exception import ProtocolError
from fastswarm.ipc import schema
from fastswarm.ipc.messages import (
    MESSAGE_TYPES,
    PROTOCOL_VERSION,
    Ack,
    Custom,
    Heartbeat,
    Hello,
    Message,
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
from fastswarm.ipc.schema import Check, Invalid, integer, number, optional, text
from fastswarm.ipc.wire_stats import MAX_ERROR, MAX_TRACEBACK, dump_interval, load_interval

ARRIVALS = tuple(a.value for a in Arrival)
MAX_KEY = 1024  # a user class, option or custom message type name
MAX_HOST = 2048
MAX_REASON = 4096
MAX_WORKERS = 1_000_000
MAX_WORKER_ID = 320  # a host name, a pid and a random tag
MAX_SECONDS = 86_400.0  # heartbeat interval and timeout
MAX_FREE_ITEMS = 1_000_000  # values in one custom message's data (the message size bounds it too)

_name = text(MAX_KEY)
_host = optional(text(MAX_HOST))
_free = schema.plain(MAX_FREE_ITEMS)
_free_map = schema.mapping(_name, _free, 10_000)

_SCHEMAS: dict[type, tuple[Check, ...]] = {
    Hello: (
        integer(0, 255),
        integer(0, 2**31),
        text(255, True),
        text(128, True),
        text(64, True),
        text(MAX_WORKER_ID, True),
    ),
    Welcome: (
        integer(0, MAX_WORKERS),
        integer(1, MAX_WORKERS),
        _free_map,
        number(0.0, MAX_SECONDS),
        number(0.0, MAX_SECONDS),
        schema.boolean,
    ),
    Rejected: (text(MAX_REASON),),
    Spawn: (schema.mapping(_name, integer(), 10_000), number(), _host, integer(1, MAX_WORKERS)),
    SpawningComplete: (integer(),),
    Stop: (schema.boolean, number()),
    Stopped: (),
    Quit: (),
    ResetStats: (),
    Heartbeat: (integer(), number(0.0, 1e6), schema.choice("", *WORKER_STATES), number()),
    StatsReport: (load_interval, integer(), _free_map, integer()),
    Ack: (integer(),),
    WorkerError: (_name, text(MAX_ERROR), text(MAX_TRACEBACK)),
    Custom: (_name, _free),
    StartOpen: (
        number(),
        number(),
        number(),
        schema.choice(*ARRIVALS),
        integer(1),
        number(0.0, 1.0),
        number(),
        _host,
    ),
    SetRate: (number(), optional(number()), number()),
}


class BadMessage(ProtocolError):
    """A message ``decode`` refused, with the ROUTER identity of the peer that sent it."""

    def __init__(self, message: str, identity: bytes) -> None:
        super().__init__(message)
        self.identity = identity


def _clip_end(limit: int) -> Callable[[str], str]:
    """Keep the last ``limit`` characters (a traceback's end says what went wrong)."""
    return lambda s: s if len(s) <= limit else s[-limit:]


# Fields converted on the way out: the interval to lists, a worker's texts to the bounds.
_DUMPS: dict[type, dict[int, Callable[[Any], Any]]] = {
    StatsReport: {0: dump_interval},
    WorkerError: {1: lambda s: s[:MAX_ERROR], 2: _clip_end(MAX_TRACEBACK)},
    Rejected: {0: lambda s: s[:MAX_REASON]},
}

_VERSION_BYTE = bytes([PROTOCOL_VERSION])
_BY_TAG: dict[bytes, type] = {cls.TAG: cls for cls in MESSAGE_TYPES}  # type: ignore[attr-defined]
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in MESSAGE_TYPES
}
assert set(_SCHEMAS) == set(MESSAGE_TYPES), "every message type needs a schema"
assert all(len(_SCHEMAS[c]) == len(_FIELDS[c]) for c in MESSAGE_TYPES), "a check per field"


def encode(message: Message) -> list[bytes]:
    """The frames that carry ``message``."""
    cls = type(message)
    values = [getattr(message, name) for name in _FIELDS[cls]]
    for index, dump in _DUMPS.get(cls, {}).items():
        values[index] = dump(values[index])
    return [_VERSION_BYTE + cls.TAG, msgpack.packb(values, use_bin_type=True)]


def decode(frames: list[bytes]) -> Message:
    """The message carried by ``frames``, every field checked; ProtocolError for anything
    malformed, unknown, of the wrong type or out of bounds."""
    if len(frames) != 2:
        raise ProtocolError(f"expected 2 frames, got {len(frames)}")
    head, payload = frames
    if not head or head[0] != PROTOCOL_VERSION:
        version = head[0] if head else "none"
        raise ProtocolError(
            f"protocol version {version} is not {PROTOCOL_VERSION} (mixed fastswarm releases?)"
        )
    tag = bytes(head[1:])
    cls = _BY_TAG.get(tag)
    if cls is None:
        raise ProtocolError(f"unknown message type {tag[:40]!r}")
    name = tag.decode()
    try:
        values: Any = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    except Exception as exc:  # noqa: BLE001 - msgpack raises several classes for bad bytes
        raise ProtocolError(f"malformed {name} message: {type(exc).__name__}") from None
    checks = _SCHEMAS[cls]
    if type(values) is not list or len(values) != len(checks):
        got = f"{len(values)} fields" if type(values) is list else type(values).__name__
        raise ProtocolError(f"malformed {name} message: expected {len(checks)} fields, got {got}")
    typed = []
    for field, check, value in zip(_FIELDS[cls], checks, values, strict=True):
        try:
            typed.append(check(value))
        except Invalid as exc:
            raise ProtocolError(f"malformed {name} message: {field}: {exc}") from None
    try:
        return cls(*typed)  # type: ignore[no-any-return]
    except ValueError as exc:  # a dataclass's own checks
        raise ProtocolError(f"malformed {name} message: {exc}") from None
