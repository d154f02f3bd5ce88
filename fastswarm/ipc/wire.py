"""Messages to bytes and back.

A message travels as two ZeroMQ frames: ``[version byte + TAG, msgpack(list of fields)]``.
The version byte is checked on every message, so a worker from another release is
refused by name instead of misread. Histograms are msgpack ``bin`` values inside the
payload: HdrHistogram's own compressed encoding, never re-encoded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgpack

from fastswarm.exception import ProtocolError
from fastswarm.ipc.messages import MESSAGE_TYPES, PROTOCOL_VERSION, Message

_VERSION_BYTE = bytes([PROTOCOL_VERSION])
_BY_TAG: dict[bytes, type] = {cls.TAG: cls for cls in MESSAGE_TYPES}  # type: ignore[attr-defined]
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in MESSAGE_TYPES
}


def encode(message: Message) -> list[bytes]:
    """The frames that carry ``message``."""
    cls = type(message)
    values = [getattr(message, name) for name in _FIELDS[cls]]
    return [_VERSION_BYTE + cls.TAG, msgpack.packb(values, use_bin_type=True)]


def decode(frames: list[bytes]) -> Message:
    """The message carried by ``frames``; ProtocolError for anything malformed or unknown."""
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
        raise ProtocolError(f"unknown message type {tag!r}")
    try:
        values: Any = msgpack.unpackb(payload, raw=False, strict_map_key=False)
        return cls(*values)  # type: ignore[no-any-return]
    except (ValueError, TypeError, msgpack.ExtraData) as exc:
        raise ProtocolError(f"malformed {tag.decode(errors='replace')} message: {exc}") from None
