"""The checks a message's fields pass before any handler sees them.

Each check takes one value as msgpack decoded it and returns it typed (a float for a
number sent as an int, a tuple for a list), or raises ``Invalid`` with a short reason. A
message's schema (``wire.py``) is one check per field, so a field of the wrong type, a
negative count, a NaN, an endless string or a map of a million entries is refused in one
place, and the master's state only ever holds values of the types its dataclasses declare.
Bounds are protocol limits, the same for every run: a peer that exceeds one is broken or
hostile, never merely busy (ZMQ_MAXMSGSIZE bounds a whole message, set in ``channel.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], Any]

MAX_COUNT = 2**53  # counts, sizes, users: exact as floats too, and far from int64 overflow when summed
MAX_NUMBER = 1e15  # rates, seconds, percentages: any real value is far below this
MAX_DEPTH = 16  # nesting of free-form values (custom messages, options)


class Invalid(ValueError):
    """A value that does not pass its check; ``wire.decode`` names the field."""


def _kind(value: Any) -> str:
    return type(value).__name__


def integer(lo: int = 0, hi: int = MAX_COUNT) -> Check:
    """An int (never a bool) in ``lo..hi``."""

    def check(value: Any) -> int:
        if type(value) is not int:
            raise Invalid(f"expected an integer, got {_kind(value)}")
        if not lo <= value <= hi:
            raise Invalid(f"{value} is outside {lo}..{hi}")
        return value

    return check


def number(lo: float = 0.0, hi: float = MAX_NUMBER) -> Check:
    """A finite float (an int is taken as one; never a bool) in ``lo..hi``."""

    def check(value: Any) -> float:
        if type(value) is not float and type(value) is not int:
            raise Invalid(f"expected a number, got {_kind(value)}")
        number = float(value)
        if not math.isfinite(number) or not lo <= number <= hi:
            raise Invalid(f"{number} is outside {lo:g}..{hi:g}")
        return number

    return check


def boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Invalid(f"expected true or false, got {_kind(value)}")
    return value


def text(max_len: int, printable: bool = False) -> Check:
    """A str of at most ``max_len`` characters; with ``printable``, none of them a control
    character (a value the master's log lines show, such as a host name, cannot forge lines)."""

    def check(value: Any) -> str:
        if type(value) is not str:
            raise Invalid(f"expected a string, got {_kind(value)}")
        if len(value) > max_len:
            raise Invalid(f"string of {len(value)} characters, more than {max_len}")
        if printable and not value.isprintable():
            raise Invalid("control characters in a name")
        return value

    return check


def binary(max_len: int) -> Check:
    """Bytes (msgpack ``bin``) of at most ``max_len``."""

    def check(value: Any) -> bytes:
        if type(value) is not bytes:
            raise Invalid(f"expected bytes, got {_kind(value)}")
        if len(value) > max_len:
            raise Invalid(f"{len(value)} bytes, more than {max_len}")
        return value

    return check


def choice(*allowed: str) -> Check:
    """One of ``allowed`` strings."""
    values = frozenset(allowed)

    def check(value: Any) -> str:
        if type(value) is not str or value not in values:
            shown = repr(value)[:40] if type(value) is str else _kind(value)
            raise Invalid(f"{shown} is not one of {', '.join(sorted(values))}")
        return value

    return check


def optional(inner: Check) -> Check:
    """None, or what ``inner`` accepts."""

    def check(value: Any) -> Any:
        return None if value is None else inner(value)

    return check


def mapping(key: Check, value: Check, max_entries: int) -> Check:
    """A map of at most ``max_entries``, each key and value checked (a new dict)."""

    def check(raw: Any) -> dict[Any, Any]:
        if type(raw) is not dict:
            raise Invalid(f"expected a map, got {_kind(raw)}")
        if len(raw) > max_entries:
            raise Invalid(f"map of {len(raw)} entries, more than {max_entries}")
        out = {}
        for k, v in raw.items():
            checked = key(k)
            try:
                out[checked] = value(v)
            except Invalid as exc:
                raise Invalid(f"[{str(checked)[:40]!r}]: {exc}") from None
        return out

    return check


def sequence(item: Check, max_items: int) -> Check:
    """A list of at most ``max_items``, each checked (a tuple)."""

    def check(raw: Any) -> tuple[Any, ...]:
        if type(raw) is not list:
            raise Invalid(f"expected a list, got {_kind(raw)}")
        if len(raw) > max_items:
            raise Invalid(f"list of {len(raw)} items, more than {max_items}")
        return tuple(map(item, raw))

    return check


def record(*fields: Check) -> Callable[[Any], list[Any]]:
    """A list of exactly ``len(fields)`` values, each checked by its own field (a list)."""

    def check(raw: Any) -> list[Any]:
        if type(raw) is not list:
            raise Invalid(f"expected a list of {len(fields)} fields, got {_kind(raw)}")
        if len(raw) != len(fields):
            raise Invalid(f"expected {len(fields)} fields, got {len(raw)}")
        return [f(v) for f, v in zip(fields, raw, strict=True)]

    return check


def plain(max_items: int) -> Check:
    """Free-form data (a custom message, an option): nil, bool, int, float, str, bytes, and
    lists and maps of them, nested at most ``MAX_DEPTH`` deep, with at most ``max_items``
    values in all. Refuses msgpack extension types, which fastswarm never sends."""

    def check(value: Any) -> Any:
        budget = [max_items]
        _walk(value, 0, budget)
        return value

    return check


_SCALARS = (type(None), bool, int, float, str, bytes)


def _walk(value: Any, depth: int, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise Invalid("too many values")
    if type(value) in _SCALARS:
        return
    if depth >= MAX_DEPTH:
        raise Invalid(f"nested more than {MAX_DEPTH} deep")
    if type(value) is list:
        for v in value:
            _walk(v, depth + 1, budget)
    elif type(value) is dict:
        for k, v in value.items():
            if type(k) not in _SCALARS:
                raise Invalid(f"map key of type {_kind(k)}")
            _walk(v, depth + 1, budget)
    else:
        raise Invalid(f"unexpected {_kind(value)}")
