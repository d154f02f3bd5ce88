"""What a tasks file's route may return, turned into the status endpoint's ``Reply``.

Flask's rules, so a ported view returns what it did: a ``str`` or ``bytes`` is an HTML page,
a ``dict`` or ``list`` is JSON, a tuple adds a status and/or headers, and a ``Response``
(``make_response``, ``jsonify``) carries all three. Anything else is a bug in the view and
raises TypeError, which the app answers as a 500. A status outside 100-599 and a header
whose name or value could split the response (CR, LF, NUL) are refused the same way.
JSON goes through ``reply.json_reply``: strict, ASCII, a non-finite number sent as null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, NoReturn

from fastswarm.web.reply import Headers, HttpError, Reply, json_reply

HTML = "text/html; charset=utf-8"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_UNSAFE_VALUE = re.compile(r"[\r\n\x00]")
_OWN_HEADERS = {"content-length", "transfer-encoding", "connection"}  # the server sets these


class Response:
    """A view's reply with its status and headers: Flask's ``Response`` / ``make_response`` shape."""

    def __init__(
        self,
        response: str | bytes = b"",
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        self.data = response.encode("utf-8") if isinstance(response, str) else bytes(response)
        self.status_code = status
        self.headers: dict[str, str] = dict(
            headers.items() if isinstance(headers, Mapping) else headers or []
        )
        if content_type or mimetype or not _has(self.headers, "content-type"):
            kind = content_type or mimetype or HTML
            if mimetype and mimetype.startswith("text/") and "charset" not in mimetype:
                kind = f"{mimetype}; charset=utf-8"
            self.headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
            self.headers["Content-Type"] = kind

    @property
    def content_type(self) -> str:
        return next(v for k, v in self.headers.items() if k.lower() == "content-type")

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.data.decode("utf-8", "replace") if as_text else self.data

    def set_data(self, value: str | bytes) -> None:
        self.data = value.encode("utf-8") if isinstance(value, str) else bytes(value)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Flask's ``jsonify``: one argument as itself, several as a list, keywords as an object."""
    if args and kwargs:
        raise TypeError("jsonify() takes positional or keyword arguments, not both")
    data = kwargs if kwargs else args[0] if len(args) == 1 else list(args)
    status, headers, body = json_reply(200, data)
    return Response(body, status, headers)


def make_response(*args: Any) -> Response:
    """Flask's ``make_response``: whatever a view may return, as a ``Response`` to adjust."""
    value: Any = args[0] if len(args) == 1 else tuple(args) if args else ""
    status, headers, body = to_reply(value)
    return Response(body, status, headers)


def abort(status: int, description: str | None = None) -> NoReturn:
    """End the request with ``status`` and a JSON error body (Flask's ``abort``)."""
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise TypeError(f"abort(): status must be an int from 400 to 599, not {status!r}")
    raise HttpError(status, description or _phrase(status))


def to_reply(value: Any) -> Reply:
    """The ``Reply`` for a view's return value; TypeError/ValueError for one no view should return."""
    status: int | None = None
    extra: Headers = []
    if isinstance(value, tuple):
        if len(value) == 3:
            value, status, extra_headers = value
            extra = _headers(extra_headers)
        elif len(value) == 2 and isinstance(value[1], (int, HTTPStatus)):
            value, status = value
        elif len(value) == 2:
            value, extra_headers = value
            extra = _headers(extra_headers)
        else:
            raise TypeError(
                f"a view returned a tuple of {len(value)}: use (body, status), (body, headers) "
                "or (body, status, headers)"
            )
    if isinstance(value, Response):
        reply_status, headers, body = value.status_code, _headers(value.headers), value.data
    elif isinstance(value, (dict, list)):
        reply_status, headers, body = json_reply(200, value)
    elif isinstance(value, (str, bytes, bytearray)):
        body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        reply_status, headers = 200, [("Content-Type", HTML)]
    else:
        raise TypeError(
            f"a view returned {type(value).__name__}: return str, bytes, dict, list, a "
            "(body, status) tuple or a Response"
        )
    final = _status(status if status is not None else reply_status)
    names = {name.lower() for name, _ in extra}
    merged = [(k, v) for k, v in headers if k.lower() not in names] + extra
    return final, [(k, v) for k, v in merged if k.lower() not in _OWN_HEADERS], body


def reason(status: int) -> str:
    """The reason phrase of any status a view may set."""
    return _phrase(status)


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= int(value) <= 599:
        raise ValueError(f"a view's status must be an int from 100 to 599, not {value!r}")
    return int(value)


def _headers(value: Any) -> Headers:
    items = value.items() if isinstance(value, Mapping) else value
    out: Headers = []
    for name, text in items:
        name, text = str(name), str(text)
        if not _HEADER_NAME.fullmatch(name) or _UNSAFE_VALUE.search(text):
            raise ValueError(f"a view's header {name[:60]!r} has a character HTTP forbids there")
        out.append((name, text))
    return out


def _has(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
