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
regroups what several workers sent into the same groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from fastswarm.stats.model import ErrorStats, UserErrorStats

OTHER_ERRORS = "other errors (error group limit reached)"
"""Error text of the single overflow group once ``limit`` distinct groups exist."""

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


class ErrorGroups:
    """Request failures grouped by (method, name, ``error_key(error)``), at most ``limit``
    groups; later new groups go to one (``""``, ``""``, ``OTHER_ERRORS``) group.
    ``overflowed`` tells whether that has happened since the last ``clear``."""

    __slots__ = ("limit", "overflowed", "_groups")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the error group limit must be >= 1")
        self.limit = limit
        self.overflowed = False
        self._groups: dict[tuple[str, str, str], list[int | str]] = {}  # key -> [count, example]

    def add(self, method: str, name: str, error: str, count: int = 1) -> None:
        key = (method, name, error_key(error))
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.limit:
                self.overflowed = True
                key, error = ("", "", OTHER_ERRORS), OTHER_ERRORS
                group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = [0, error]
        group[0] = int(group[0]) + count

    def stats(self) -> list[ErrorStats]:
        """One ErrorStats per group, with its first message as the error text."""
        return [ErrorStats(m, n, str(g[1]), int(g[0])) for (m, n, _), g in self._groups.items()]

    def __len__(self) -> int:
        return len(self._groups)

    def clear(self) -> None:
        self._groups.clear()


class UserErrorGroups:
    """Exceptions from task code grouped by (type, ``error_key(message)``), keeping the first
    message and traceback; capped like ``ErrorGroups`` (overflow: kind ``""``)."""

    __slots__ = ("limit", "overflowed", "_groups")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the error group limit must be >= 1")
        self.limit = limit
        self.overflowed = False
        self._groups: dict[tuple[str, str], list[int | str]] = {}  # key -> [count, message, traceback]

    def add(self, kind: str, message: str, count: int, traceback: str | Callable[[], str]) -> None:
        """Count ``count`` more; a callable ``traceback`` is called only for a new group."""
        key = (kind, error_key(message))
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.limit:
                self.overflowed = True
                key = ("", OTHER_ERRORS)
                group = self._groups.get(key)
                if group is None:
                    group = self._groups[key] = [0, OTHER_ERRORS, ""]
            else:
                text = traceback if isinstance(traceback, str) else traceback()
                group = self._groups[key] = [0, message, text]
        group[0] = int(group[0]) + count

    def stats(self) -> list[UserErrorStats]:
        return [UserErrorStats(k, str(g[1]), int(g[0]), str(g[2])) for (k, _), g in self._groups.items()]

    def __len__(self) -> int:
        return len(self._groups)

    def clear(self) -> None:
        self._groups.clear()
