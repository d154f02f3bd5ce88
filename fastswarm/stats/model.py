"""Stats value objects: what a worker ships each interval, and what the master reports.

Interval types (``EntryStats`` .. ``IntervalStats``) cross the process boundary, so each has
``to_wire()`` (only msgpack-able primitives: dict, list, str, int, float, bytes) and a
``from_wire()`` that checks what it gets and raises ``ProtocolError`` rather than building
a half-valid object. The report types (``LatencySummary``, ``EndpointRow``, ``HistoryPoint``)
stay in the master and are plain immutable rows.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from fastswarm.exception import ProtocolError


class StatsKey(NamedTuple):
    """Identity of one endpoint's stats: Locust's (request_type, name)."""

    method: str
    name: str


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _field(d: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    """Fetch ``d[key]`` and check its type; wire decoding fails with ProtocolError."""
    if not isinstance(d, dict):
        raise ProtocolError(f"stats wire: expected a map, got {type(d).__name__}")
    try:
        value = d[key]
    except KeyError:
        raise ProtocolError(f"stats wire: missing field {key!r}") from None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProtocolError(f"stats wire: field {key!r} has type {type(value).__name__}")
    return value


_T = TypeVar("_T")


def _build(cls: type[_T], **kwargs: Any) -> _T:
    """Construct ``cls`` turning its own value checks into a ProtocolError."""
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise ProtocolError(f"stats wire: bad {cls.__name__}: {exc}") from None


@dataclass(frozen=True, slots=True)
class EntryStats:
    """One endpoint's counters and encoded latency histogram for one interval."""

    method: str
    name: str
    requests: int
    failures: int
    bytes: int
    histogram: builtins.bytes  # the field above shadows the builtin in this scope
    corrected: builtins.bytes = b""  # open model: corrected-latency histogram, else empty

    def __post_init__(self) -> None:
        _check(self.requests >= 0 and self.failures >= 0 and self.bytes >= 0, "negative counter")

    @property
    def key(self) -> StatsKey:
        return StatsKey(self.method, self.name)

    def to_wire(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "name": self.name,
            "requests": self.requests,
            "failures": self.failures,
            "bytes": self.bytes,
            "histogram": self.histogram,
            "corrected": self.corrected,
        }

    @classmethod
    def from_wire(cls, d: Any) -> EntryStats:
        # The master decodes one per endpoint per worker per second (6,400/s at 64 x 100):
        # exact types are checked in one go; anything else takes the field-by-field path.
        try:
            m, n, h, c = d["method"], d["name"], d["histogram"], d.get("corrected", b"")
            r, f, b = d["requests"], d["failures"], d["bytes"]
        except (KeyError, TypeError, AttributeError):
            pass
        else:
            exact = type(m) is type(n) is str and type(h) is type(c) is bytes
            if exact and type(r) is type(f) is type(b) is int:
                return _build(
                    cls, method=m, name=n, requests=r, failures=f, bytes=b, histogram=h, corrected=c
                )
        return _build(
            cls,
            method=_field(d, "method", str),
            name=_field(d, "name", str),
            requests=_field(d, "requests", int),
            failures=_field(d, "failures", int),
            bytes=_field(d, "bytes", int),
            histogram=bytes(_field(d, "histogram", (bytes, bytearray, memoryview))),
            corrected=bytes(_field(d, "corrected", (bytes, bytearray))) if "corrected" in d else b"",
        )


@dataclass(frozen=True, slots=True)
class ErrorStats:
    """How often one (method, name, error message) failure happened."""

    method: str
    name: str
    error: str
    count: int

    def __post_init__(self) -> None:
        _check(self.count >= 0, "negative count")

    def to_wire(self) -> dict[str, Any]:
        return {"method": self.method, "name": self.name, "error": self.error, "count": self.count}

    @classmethod
    def from_wire(cls, d: Any) -> ErrorStats:
        try:  # as EntryStats: exact types in one go, else field by field
            m, n, e, c = d["method"], d["name"], d["error"], d["count"]
        except (KeyError, TypeError):
            pass
        else:
            if type(m) is type(n) is type(e) is str and type(c) is int:
                return _build(cls, method=m, name=n, error=e, count=c)
        return _build(
            cls,
            method=_field(d, "method", str),
            name=_field(d, "name", str),
            error=_field(d, "error", str),
            count=_field(d, "count", int),
        )


@dataclass(frozen=True, slots=True)
class UserErrorStats:
    """An exception raised by user task code: type name, message, count, first traceback."""

    kind: str
    message: str
    count: int
    traceback: str

    def __post_init__(self) -> None:
        _check(self.count >= 0, "negative count")

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "count": self.count, "traceback": self.traceback}

    @classmethod
    def from_wire(cls, d: Any) -> UserErrorStats:
        return _build(
            cls,
            kind=_field(d, "kind", str),
            message=_field(d, "message", str),
            count=_field(d, "count", int),
            traceback=_field(d, "traceback", str),
        )


@dataclass(frozen=True, slots=True)
class OpenIntervalStats:
    """One worker's open-model counts for one interval, with its schedule-lag histogram."""

    iterations: int
    dropped: int
    late: int
    lag_histogram: builtins.bytes

    def __post_init__(self) -> None:
        _check(self.iterations >= 0 and self.dropped >= 0 and self.late >= 0, "negative counter")

    def to_wire(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "dropped": self.dropped,
            "late": self.late,
            "lag_histogram": self.lag_histogram,
        }

    @classmethod
    def from_wire(cls, d: Any) -> OpenIntervalStats:
        return _build(
            cls,
            iterations=_field(d, "iterations", int),
            dropped=_field(d, "dropped", int),
            late=_field(d, "late", int),
            lag_histogram=bytes(_field(d, "lag_histogram", (bytes, bytearray))),
        )


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """Everything one worker recorded between ``started_at`` and ``ended_at`` (epoch s)."""

    started_at: float
    ended_at: float
    entries: tuple[EntryStats, ...] = ()
    errors: tuple[ErrorStats, ...] = ()
    user_errors: tuple[UserErrorStats, ...] = ()
    open_model: OpenIntervalStats | None = None  # arrivals, drops, lateness (open model only)

    def __post_init__(self) -> None:
        _check(self.ended_at >= self.started_at, "ended_at before started_at")

    def to_wire(self) -> dict[str, Any]:
        wire = {
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "entries": [e.to_wire() for e in self.entries],
            "errors": [e.to_wire() for e in self.errors],
            "user_errors": [e.to_wire() for e in self.user_errors],
        }
        if self.open_model is not None:  # absent in the closed model
            wire["open_model"] = self.open_model.to_wire()
        return wire

    @classmethod
    def from_wire(cls, d: Any) -> IntervalStats:
        return _build(
            cls,
            started_at=float(_field(d, "started_at", (int, float))),
            ended_at=float(_field(d, "ended_at", (int, float))),
            entries=tuple(EntryStats.from_wire(e) for e in _field(d, "entries", list)),
            errors=tuple(ErrorStats.from_wire(e) for e in _field(d, "errors", list)),
            user_errors=tuple(UserErrorStats.from_wire(e) for e in _field(d, "user_errors", list)),
            open_model=None if d.get("open_model") is None else OpenIntervalStats.from_wire(d["open_model"]),
        )


# -- master-side report rows --


def us_to_ms(us: float) -> float:
    """Microseconds to milliseconds, kept to µs precision (0.412)."""
    return round(us / 1000, 3)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latency distribution in milliseconds (µs precision)."""

    min: float
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    p99_9: float
    max: float


EMPTY_LATENCY = LatencySummary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One endpoint (or the "Aggregated" total) as the reports show it.

    ``rps``/``failures_per_s`` are over the whole run; ``current_*`` over the sliding window.
    Latencies are in ms.
    """

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    failures_per_s: float
    bytes_avg: float
    latency: LatencySummary
    current_rps: float
    current_p50: float
    current_p95: float
    current_p99: float
    corrected_latency: LatencySummary | None = None  # open model: from each iteration's planned start


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One second of the run (``t`` = epoch second); latencies in ms."""

    t: float
    rps: float
    failures_per_s: float
    users: int
    p50: float
    p95: float
    p99: float
