"""A ``StatsReport``'s interval on the wire: ``IntervalStats`` to msgpack lists and back.

Positional lists, not maps: smaller, and read without a key lookup per field. The master
reads one entry per endpoint per worker per second (6,400/s at 64 workers x 100 names),
so an entry of exact types is checked in one expression and built at once; anything else
goes field by field through ``schema`` checks and fails with the field named. Text a
worker sends is clipped to the protocol's bounds when it is written (an error message of
a megabyte becomes its first 16,384 characters), so a live worker's report is never
refused for its size and nothing it measured is lost.

    interval = [started_at, ended_at, [entry...], [error...], [user_error...], open | nil]
    entry    = [method, name, requests, failures, bytes, histogram (bin), corrected (bin)]
    error    = [method, name, error, count]
    user_err = [kind, message, count, traceback]
    open     = [iterations, dropped, late, lag_histogram (bin)]
"""

from __future__ import annotations

from typing import Any

from fastswarm.ipc import schema
from fastswarm.ipc.schema import MAX_COUNT, Invalid
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats, OpenIntervalStats, UserErrorStats

MAX_METHOD = 256
MAX_NAME = 16_384
MAX_ERROR = 16_384
MAX_TRACEBACK = 65_536
MAX_HISTOGRAM = 512 * 1024  # a 1 µs .. 1 h, 3-digit histogram compresses to well under this
MAX_ENTRIES = 100_000  # endpoints (or error groups) in one report
MAX_TIME = 1e11  # epoch seconds (the year 5138)

_method, _name = schema.text(MAX_METHOD), schema.text(MAX_NAME)
_error, _traceback = schema.text(MAX_ERROR), schema.text(MAX_TRACEBACK)
_count, _histogram = schema.integer(), schema.binary(MAX_HISTOGRAM)
_time = schema.number(0.0, MAX_TIME)
_entry = schema.record(_method, _name, _count, _count, _count, _histogram, _histogram)
_error_row = schema.record(_method, _name, _error, _count)
_user_error = schema.record(schema.text(MAX_METHOD), _error, _count, _traceback)
_open = schema.record(_count, _count, _count, _histogram)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def dump_interval(iv: IntervalStats) -> list[Any]:
    """``iv`` as msgpack-able lists (the worker's side)."""
    om = iv.open_model
    return [
        iv.started_at,
        iv.ended_at,
        [
            [_clip(e.method, MAX_METHOD), _clip(e.name, MAX_NAME), e.requests, e.failures, e.bytes]
            + [e.histogram, e.corrected]
            for e in iv.entries
        ],
        [
            [_clip(e.method, MAX_METHOD), _clip(e.name, MAX_NAME), _clip(e.error, MAX_ERROR), e.count]
            for e in iv.errors
        ],
        [
            [_clip(u.kind, MAX_METHOD), _clip(u.message, MAX_ERROR), u.count]
            + [_clip(u.traceback, MAX_TRACEBACK)]
            for u in iv.user_errors
        ],
        None if om is None else [om.iterations, om.dropped, om.late, om.lag_histogram],
    ]


def load_interval(raw: Any) -> IntervalStats:
    """The IntervalStats in ``raw``; ``Invalid`` naming the first field that is wrong."""
    started, ended, entries, errors, user_errors, om = schema.record(
        _time, _time, _list, _list, _list, lambda v: v
    )(raw)
    if ended < started:
        raise Invalid("ended_at before started_at")
    return IntervalStats(
        started,
        ended,
        _load_entries(entries),
        tuple(_load(ErrorStats, _error_row, "errors", i, e) for i, e in enumerate(errors)),
        tuple(_load(UserErrorStats, _user_error, "user_errors", i, u) for i, u in enumerate(user_errors)),
        None if om is None else _load(OpenIntervalStats, _open, "open_model", None, om),
    )


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise Invalid(f"expected a list, got {type(value).__name__}")
    if len(value) > MAX_ENTRIES:
        raise Invalid(f"list of {len(value)} items, more than {MAX_ENTRIES}")
    return value


def _load_entries(raw: list[Any]) -> tuple[EntryStats, ...]:
    out = []
    for i, e in enumerate(raw):
        if type(e) is list and len(e) == 7:  # the common case, in one expression
            m, n, r, f, b, h, c = e
            if (
                type(m) is str
                and type(n) is str
                and type(r) is int
                and type(f) is int
                and type(b) is int
                and type(h) is bytes
                and type(c) is bytes
                and len(m) <= MAX_METHOD
                and len(n) <= MAX_NAME
                and 0 <= f <= r <= MAX_COUNT
                and 0 <= b <= MAX_COUNT
                and len(h) <= MAX_HISTOGRAM
                and len(c) <= MAX_HISTOGRAM
            ):
                out.append(EntryStats(m, n, r, f, b, h, c))
                continue
        out.append(_load(EntryStats, _entry, "entries", i, e))
    return tuple(out)


def _load(cls: Any, check: Any, where: str, index: int | None, raw: Any) -> Any:
    """``cls(*check(raw))``, with the list and item named in the reason when it fails."""
    try:
        values = check(raw)
        if cls is EntryStats and values[3] > values[2]:
            raise Invalid(f"{values[3]} failures of {values[2]} requests")
        return cls(*values)
    except (Invalid, ValueError) as exc:
        at = where if index is None else f"{where}[{index}]"
        raise Invalid(f"{at}: {exc}") from None
