"""Failures grouped by what they mean, not by their exact text, in a bounded number of groups.

A failure's message often carries data: an id in a URL, a port, an object address, a
request id, or the raw bytes of a garbage response ("BadStatusLine('9f3c…')"). Grouped by
exact text, every failure of a hostile target can become its own group, and the error
table grows without bound. ``error_key`` cuts that data out of the grouping key (numbers,
hex, UUIDs, IP addresses and ports, long or escaped quoted strings, all past 200
characters) while a number right after "HTTPError", "status", "code" or "Errno" stays, so
"HTTPError 500" and "HTTPError 503" remain apart. Each group
keeps the first message it saw as its example, and past ``limit`` groups the rest are
counted in one overflow group, so no failure is lost and memory stays bounded.

The worker's recorder and the master's aggregator group the same way, so the master
regroups what several workers sent into the same groups, cap them the same way
(``CappedGroups``), and warn once, in the same words, when a cap is reached
(``CapWarnings``: request names past ``--max-names`` go to ``OTHER_NAME`` rows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, Generic, TypeVar

from fastswarm.stats.model import ErrorStats, UserErrorStats

OTHER_ERRORS = "other errors (error group limit reached)"
"""Error text of the single overflow group once ``limit`` distinct groups exist."""
OTHER_NAME = "(other)"
"""The name of the row that counts requests to names past the ``max_names`` cap."""

KEY_MAX = 200  # characters of a grouping key; the rest of a long message is body
_SCAN_MAX = 2000  # characters of a message looked at
_QUOTED_MAX = 24  # a quoted string longer than this (or with escapes) is data

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_IPV6 = re.compile(
    r"\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::\d+)?"  # [::1]:8080
    r"|(?<![\w:.])[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?![\w:])"  # fe80::1
)
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])")
_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")
_QUOTED = re.compile(r"""b?'(?:[^'\\\n]|\\.)*(?:'|$)|b?"(?:[^"\\\n]|\\.)*(?:"|$)""")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*")
_KEEP_AFTER = re.compile(r"(?:HTTPError|Errno|status|status_code|code)[ =:]*$", re.IGNORECASE)


def _quoted(m: re.Match[str]) -> str:
    text = m.group(0)
    inner = text.lstrip("b")[1:-1]
    return "'…'" if len(inner) > _QUOTED_MAX or "\\" in inner else text


def _number(m: re.Match[str]) -> str:
    """A number becomes ``#`` unless it names the kind of error: an HTTP status or errno."""
    text = m.group(0)
    if text.isdigit() and _KEEP_AFTER.search(m.string, max(0, m.start() - 16), m.start()):
        return text
    return "#"


@lru_cache(maxsize=1024)
def _key(text: str) -> str:
    text = _UUID.sub("<uuid>", text)
    text = _IPV6.sub("<ip>", text)
    text = _IPV4.sub("<ip>", text)
    text = _HEX.sub("<hex>", text)
    text = _QUOTED.sub(_quoted, text)
    text = _NUMBER.sub(_number, text)
    return text[:KEY_MAX]


def error_key(message: str) -> str:
    """What failures are grouped by: ``message`` without the data in it (memoised)."""
    return _key(message if len(message) <= _SCAN_MAX else message[:_SCAN_MAX])


K = TypeVar("K", bound=Hashable)


class CappedGroups(Generic[K]):
    """Counts by group key, at most ``limit`` groups; past them, new keys are counted in one
    overflow group (``overflow_key``, made by ``overflow()``), and ``overflowed`` tells that
    this has happened (``clear`` keeps it). A group is a list: its count, then what it keeps."""

    __slots__ = ("limit", "overflowed", "_groups", "_overflow_key", "_overflow")

    def __init__(self, limit: int, overflow_key: K, overflow: Callable[[], list[int | str]]) -> None:
        if limit < 1:
            raise ValueError("the error group limit must be >= 1")
        self.limit = limit
        self.overflowed = False
        self._groups: dict[K, list[int | str]] = {}
        self._overflow_key = overflow_key
        self._overflow = overflow

    def count(self, key: K, count: int, new: Callable[[], list[int | str]]) -> None:
        """Add ``count`` to ``key``'s group; ``new()`` makes the group the first time."""
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.limit:
                self.overflowed = True
                key, new = self._overflow_key, self._overflow
                group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = new()
        group[0] = int(group[0]) + count

    def __len__(self) -> int:
        return len(self._groups)

    def clear(self) -> None:
        self._groups.clear()


class ErrorGroups(CappedGroups[tuple[str, str, str]]):
    """Request failures grouped by (method, name, ``error_key(error)``), capped; later new
    groups go to one (``""``, ``""``, ``OTHER_ERRORS``) group."""

    __slots__ = ()

    def __init__(self, limit: int) -> None:
        super().__init__(limit, ("", "", OTHER_ERRORS), lambda: [0, OTHER_ERRORS])

    def add(self, method: str, name: str, error: str, count: int = 1) -> None:
        self.count((method, name, error_key(error)), count, lambda: [0, error])

    def stats(self) -> list[ErrorStats]:
        """One ErrorStats per group, with its first message as the error text."""
        return [ErrorStats(m, n, str(g[1]), int(g[0])) for (m, n, _), g in self._groups.items()]


class UserErrorGroups(CappedGroups[tuple[str, str]]):
    """Exceptions from task code grouped by (type, ``error_key(message)``), keeping the first
    message and traceback; capped like ``ErrorGroups`` (overflow: kind ``""``)."""

    __slots__ = ()

    def __init__(self, limit: int) -> None:
        super().__init__(limit, ("", OTHER_ERRORS), lambda: [0, OTHER_ERRORS, ""])

    def add(self, kind: str, message: str, count: int, traceback: str | Callable[[], str]) -> None:
        """Count ``count`` more; a callable ``traceback`` is called only for a new group."""

        def new() -> list[int | str]:
            return [0, message, traceback if isinstance(traceback, str) else traceback()]

        self.count((kind, error_key(message)), count, new)

    def stats(self) -> list[UserErrorStats]:
        return [UserErrorStats(k, str(g[1]), int(g[0]), str(g[2])) for (k, _), g in self._groups.items()]


class CapWarnings:
    """The one-time warnings when a cap is reached, in ``log``: request names past
    ``max_names`` (counted under ``OTHER_NAME``), error groups past ``max_error_groups``
    (counted under ``OTHER_ERRORS``; ``scope`` says over what the cap counts). Each is
    logged once per object, resets included."""

    __slots__ = ("log", "max_names", "max_error_groups", "scope", "_warned")

    def __init__(self, log: logging.Logger, max_names: int, max_error_groups: int, scope: str = "") -> None:
        self.log, self.scope = log, scope
        self.max_names, self.max_error_groups = max_names, max_error_groups
        self._warned: set[str] = set()

    def check(self, names_capped: bool, *groups: CappedGroups[Any]) -> None:
        """Warn (once each) if names were capped, or if any of ``groups`` overflowed."""
        if names_capped and "names" not in self._warned:
            self._warned.add("names")
            self.log.warning(
                "more than %d distinct request names: requests to new names are counted under %r "
                "(group URLs with name=, e.g. self.client.get(f\"/item/{id}\", name=\"/item/[id]\"); "
                "or raise --max-names)",
                self.max_names,
                OTHER_NAME,
            )
        if any(g.overflowed for g in groups) and "errors" not in self._warned:
            self._warned.add("errors")
            self.log.warning(
                "more than %d distinct error groups%s: the rest are counted as %r",
                self.max_error_groups,
                self.scope,
                OTHER_ERRORS,
            )
