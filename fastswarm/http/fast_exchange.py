"""What one response has delivered so far: httptools' callback target, reused per request.

``fast_conn.Connection`` feeds each response's bytes to llhttp (through httptools), which
calls back here. Only three callbacks exist (headers complete, body, message complete), so
the status line and headers are not handed over one Python call each: ``raw`` keeps the
bytes through the headers for ``headers.FastHeaders`` to parse on demand.

A body is kept only up to ``limit`` bytes (the run's ``max_body_size``). Past 1 MiB its
declared length is looked at once; a body declared or grown over the limit is counted in
``size`` and let go (``body`` becomes ``DROPPED``), never held.
"""

from __future__ import annotations

import sys
from typing import Any

from fastswarm.http.body import DEFAULT_MAX_BODY_SIZE, warn_discarded
from fastswarm.http.headers import parse_head

CHECK_AT = 1024 * 1024
"""Body bytes kept before the declared length is looked at (once per large body)."""
UNLIMITED = sys.maxsize
"""``Exchange.limit`` of a ``stream=True`` exchange: the task reads the body, not the connection."""


class _Dropped(list[bytes]):
    """The body list of a response over the size limit: what is appended is let go."""

    __slots__ = ()

    def append(self, item: bytes) -> None:
        pass


DROPPED: list[bytes] = _Dropped()
"""``_Exchange.body`` once the body is over the limit: counted in ``size``, never kept."""


class Exchange:
    """httptools' callback target: what one response has delivered so far (reused per request)."""

    __slots__ = (
        "parser",
        "raw",
        "body",
        "headers_done",
        "keep_alive",
        "done",
        "status",
        "size",
        "keep_up_to",
        "limit",
        "encoded",
    )

    def __init__(self, limit: int = DEFAULT_MAX_BODY_SIZE) -> None:
        self.parser: Any = None  # the httptools parser feeding this object (set by Connection)
        self.raw = b""  # the response's first bytes, through its headers (b"": nothing arrived)
        self.body: list[bytes] = []
        self.headers_done = False
        self.keep_alive = False
        self.done = False
        self.status = 0
        self.size = 0  # body bytes received, kept or not
        self.limit = limit  # the most body bytes kept (the run's max_body_size)
        self.keep_up_to = min(limit, CHECK_AT)  # past this, on_body takes the slow path
        self.encoded = False  # Content-Encoding may be among the headers (``flags()``, kept by the session)

    @property
    def got(self) -> bool:
        """Whether any byte of the response arrived."""
        return bool(self.raw)

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Asked now: once the message is complete httptools answers False whatever was sent.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        size = self.size = self.size + len(body)
        if size <= self.keep_up_to:
            self.body.append(body)
        else:
            self._large(body)

    def _large(self, body: bytes) -> None:
        """A body past 1 MiB: drop it now if it is (or is declared to be) over the limit."""
        if self.body is DROPPED:
            return
        if self.size - len(body) <= self.keep_up_to:  # the first piece past the mark: look once
            declared = parse_head(self.raw).get("content-length", ())
            if declared and declared[0].strip().isdigit() and int(declared[0]) > self.limit:
                self._drop()
                return
        if self.size > self.limit:
            self._drop()
        else:
            self.body.append(body)

    def _drop(self) -> None:
        self.body = DROPPED
        warn_discarded(self.size, self.limit)

    def on_message_complete(self) -> None:
        self.done = True

    def flags(self) -> tuple[bool, bool]:
        """(Set-Cookie, Content-Encoding) may be among the headers: the two the session acts on.

        A cheap scan of the raw bytes; a false positive (the words in a value or the body) only
        costs parsing the headers, which then find nothing.
        """
        low = self.raw.decode("latin-1").lower()  # str searches are ~3x cheaper than bytes' here
        return "set-cookie" in low, "content-encoding" in low

    def delimited(self) -> bool:
        """Whether the body's end is marked (a length or chunks) rather than the connection's close."""
        headers = parse_head(self.raw)
        return "content-length" in headers or any(
            "chunked" in v.lower() for v in headers.get("transfer-encoding", ())
        )
