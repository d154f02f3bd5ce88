"""What a route answers: a status, headers and bytes; errors as ``HttpError``; JSON always valid.

Every JSON body goes through ``json_reply``: strict JSON (``allow_nan=False``), ASCII-only
(so a lone surrogate from a client's body or a request name can never make encoding fail).
A non-finite number is a bug at its source; rather than emit ``NaN``/``Infinity``, which no
strict parser reads, it is logged once per key and sent as ``null``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
Reply = tuple[int, Headers, bytes]

REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    421: "Misdirected Request",
    500: "Internal Server Error",
}
_SHOWN = 60  # characters of a client's value quoted back in an error message
_reported: set[str] = set()


class HttpError(Exception):
    """Ends a request with ``status`` and a JSON error body."""

    def __init__(
        self, status: int, message: str, field: str | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, list(headers)

    def reply(self) -> Reply:
        error: dict[str, Any] = {"error": self.message}
        if self.field:
            error["field"] = self.field
        return json_reply(self.status, error, self.headers)


def shown(value: Any) -> str:
    """A client's value for an error message: printable ASCII, quoted, at most ~60 characters."""
    text = ascii(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def json_reply(status: int, data: Any, headers: Headers | None = None) -> Reply:
    try:
        body = json.dumps(data, allow_nan=False)
    except ValueError:  # NaN or ±Infinity somewhere: the source is a bug; the client still gets JSON
        body = json.dumps(_finite(data, "$"), allow_nan=False)
    return status, [("Content-Type", "application/json"), *(headers or [])], body.encode("ascii")


def text_reply(content_type: str, text: str, headers: Headers | None = None) -> Reply:
    return 200, [("Content-Type", content_type), *(headers or [])], text.encode("utf-8", "backslashreplace")


def _finite(data: Any, where: str) -> Any:
    """``data`` with each non-finite float replaced by None; each replaced key logged once."""
    if isinstance(data, float) and not math.isfinite(data):
        if where not in _reported:
            _reported.add(where)
            log.error("status endpoint: %s is %r; sent as null (a bug: please report it)", where, data)
        return None
    if isinstance(data, dict):
        return {key: _finite(value, f"{where}.{key}") for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value, f"{where}[]") for value in data]
    return data
