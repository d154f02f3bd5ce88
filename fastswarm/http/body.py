"""Response bodies that are not simply held: streamed on demand, or counted and let go.

A load test must not die of the bodies it asks for. Without ``stream=True`` both clients
keep a body only up to the run's ``max_body_size`` (``--max-body-size``, 32 MiB by default):
a larger one is read to its end, counted (its bytes still reach the statistics) and
dropped, so a 100 MB download costs a worker a few buffers, not 100 MB per user. With
``stream=True`` nothing past the headers is read until the task asks: ``iter_content``,
``raw.read(n)`` or ``content`` (which reads the rest, as in requests).

Each client supplies a ``BodyStream`` (the next decoded piece, or ``b""`` at the end);
``RawBody`` and ``iter_chunks`` are what ``Response`` builds on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

from fastswarm.config.settings import DEFAULT_MAX_BODY_SIZE as DEFAULT_MAX_BODY_SIZE

log = logging.getLogger(__name__)
_warned = False


class BodyStream(Protocol):
    """What a streamed response reads from: its connection, one piece at a time."""

    def read_chunk(self) -> bytes:
        """The next piece of the (decoded) body; ``b""`` once it has all been read."""

    def close(self) -> None:
        """Stop reading; a connection left with unread body is closed rather than reused."""


def read_all(stream: BodyStream) -> bytes:
    """The rest of ``stream`` in one bytes object (a task asked for ``content``)."""
    parts: list[bytes] = []
    while True:
        chunk = stream.read_chunk()
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def iter_chunks(stream: BodyStream, chunk_size: int | None) -> Iterator[bytes]:
    """``stream``'s pieces re-cut to at most ``chunk_size`` bytes (None: as they arrive)."""
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be a positive number of bytes or None")
    while True:
        chunk = stream.read_chunk()
        if not chunk:
            return
        if chunk_size is None or len(chunk) <= chunk_size:
            yield chunk
            continue
        view = memoryview(chunk)
        for start in range(0, len(chunk), chunk_size):
            yield bytes(view[start : start + chunk_size])


class BytesStream:
    """A ``BodyStream`` over a body already in memory (``iter_content`` after ``content``)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read_chunk(self) -> bytes:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        self._data = b""


class RawBody:
    """``response.raw``: ``read(amt)`` over the body, as tasks written for requests call it.

    The bytes are decoded (gzip/deflate undone) whatever ``decode_content`` says; the
    argument is accepted so that requests-style calls work unchanged.
    """

    __slots__ = ("_stream", "_buffer")

    def __init__(self, stream: BodyStream) -> None:
        self._stream = stream
        self._buffer = b""

    def read(self, amt: int | None = None, decode_content: bool = True) -> bytes:
        """Up to ``amt`` bytes (all that is left when None); ``b""`` at the end of the body."""
        if amt is None:
            data, self._buffer = self._buffer + read_all(self._stream), b""
            return data
        while len(self._buffer) < amt:
            chunk = self._stream.read_chunk()
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def read_chunk(self) -> bytes:
        """What was read ahead first, then the stream's next piece (``BodyStream``)."""
        data, self._buffer = self._buffer, b""
        return data or self._stream.read_chunk()

    def stream(self, amt: int = 65536, decode_content: bool = True) -> Iterator[bytes]:
        """Pieces of at most ``amt`` bytes until the end (urllib3's spelling)."""
        while True:
            data = self.read(amt)
            if not data:
                return
            yield data

    def close(self) -> None:
        self._buffer = b""
        self._stream.close()


def warn_discarded(size: int, limit: int) -> None:
    """Say once per process that a body over the limit was counted but not kept."""
    global _warned
    if not _warned:
        _warned = True
        log.warning(
            "a response body of %d bytes is over --max-body-size (%d): it is counted, not kept "
            "(response.content is empty); pass stream=True to read such bodies",
            size,
            limit,
        )


def body_limit(environment: object) -> int:
    """The run's ``max_body_size`` (Config, via ``environment.parsed_options``), else the default."""
    options = getattr(environment, "parsed_options", None)
    value = getattr(options, "max_body_size", None)
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_BODY_SIZE
