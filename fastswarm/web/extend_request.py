"""The request a tasks file's route answers, reached as Flask's is: ``from fastswarm.web import request``.

Flask hands a view its request through a context-local proxy rather than an argument, and
Locust's examples read ``request.args`` / ``request.get_json()`` that way; so a ported view
keeps its body and changes only its import line. Each request is served in its own
greenlet (gevent.pywsgi), so the proxy looks up the request of the greenlet it is read in;
read outside a route it raises a clear RuntimeError rather than answering for some other
request. The body is read at most once and within the same 64 KiB bound as the built-in
routes, and a JSON body is parsed with their rules (depth, no NaN).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from http.cookies import SimpleCookie
from typing import Any, TypeVar
from urllib.parse import parse_qs

from gevent.local import local

from fastswarm.web.body import MAX_DEPTH, nesting_depth, read_body
from fastswarm.web.reply import HttpError, shown

T = TypeVar("T")
_JSON_TYPES = ("application/json",)
_current = local()


class MultiDict(Mapping[str, str]):
    """Query or form values: ``d[key]`` and ``get`` give the first value, ``getlist`` all of them.

    A missing key read with ``d[key]`` is a 400 naming it, as Flask answers, not a 500.
    """

    def __init__(self, values: dict[str, list[str]] | None = None) -> None:
        self._values = values or {}

    def __getitem__(self, key: str) -> str:
        if key not in self._values:
            raise HttpError(400, f"missing parameter {shown(key)}", key)
        return self._values[key][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str, default: Any = None, type: Callable[[str], T] | None = None) -> Any:  # noqa: A002
        """The first value of ``key`` (through ``type``; a value ``type`` refuses gives ``default``)."""
        if key not in self._values:
            return default
        value = self._values[key][0]
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str) -> list[str]:
        return list(self._values.get(key, []))

    def to_dict(self) -> dict[str, str]:
        return {key: values[0] for key, values in self._values.items()}


class Headers(Mapping[str, str]):
    """The request's headers by case-insensitive name."""

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self._values: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                self._values[key[5:].replace("_", "-").lower()] = str(value)
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                self._values[key.replace("_", "-").lower()] = str(environ[key])

    def __getitem__(self, key: str) -> str:
        return self._values[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Request:
    """One request to a tasks file's route: Flask's most used ``request`` attributes."""

    def __init__(self, environ: dict[str, Any], view_args: dict[str, Any] | None = None) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        self.path: str = environ.get("PATH_INFO") or "/"
        self.query_string: bytes = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
        self.args = MultiDict(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.headers = Headers(environ)
        self.view_args: dict[str, Any] = view_args or {}
        self.remote_addr: str | None = environ.get("REMOTE_ADDR")
        self._data: bytes | None = None

    @property
    def mimetype(self) -> str:
        return str(self.environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()

    @property
    def content_type(self) -> str | None:
        return self.environ.get("CONTENT_TYPE") or None

    @property
    def is_json(self) -> bool:
        return self.mimetype in _JSON_TYPES or self.mimetype.endswith("+json")

    @property
    def cookies(self) -> dict[str, str]:
        return {
            name: morsel.value for name, morsel in SimpleCookie(self.environ.get("HTTP_COOKIE", "")).items()
        }

    @property
    def data(self) -> bytes:
        """The raw body, read once, at most 64 KiB (413 beyond)."""
        if self._data is None:
            self._data = read_body(self.environ)
        return self._data

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.data.decode("utf-8", "replace") if as_text else self.data

    @property
    def json(self) -> Any:
        """The JSON body; 415 when the body is not JSON (Flask 2.3's rule), 400 when malformed."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        if not (force or self.is_json):
            if silent:
                return None
            raise HttpError(
                415, f"Content-Type must be application/json, not {shown(self.mimetype or 'none')}"
            )
        raw = self.data
        try:
            if nesting_depth(raw) > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            return json.loads(raw, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            if silent:
                return None
            raise HttpError(400, f"body: not valid JSON ({str(exc)[:200]})", "body") from None

    @property
    def form(self) -> MultiDict:
        """Fields of an ``application/x-www-form-urlencoded`` body (empty for any other body)."""
        if self.mimetype != "application/x-www-form-urlencoded":
            return MultiDict()
        text = self.data.decode("utf-8", "replace")
        return MultiDict(parse_qs(text, keep_blank_values=True))

    @property
    def values(self) -> MultiDict:
        """Query and form fields together, the query's first."""
        merged: dict[str, list[str]] = {key: self.args.getlist(key) for key in self.args}
        for key in self.form:
            merged.setdefault(key, []).extend(self.form.getlist(key))
        return MultiDict(merged)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def bind(request: Request | None) -> None:
    """Make ``request`` the one this greenlet's ``fastswarm.web.request`` reads (None: none)."""
    _current.request = request


def current_request() -> Request:
    found: Request | None = getattr(_current, "request", None)
    if found is None:
        raise RuntimeError("fastswarm.web.request is only set while a route added with web_ui.app.route runs")
    return found


class _RequestProxy:
    """Reads every attribute from the request of the greenlet it is used in."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current_request(), name)

    def __repr__(self) -> str:
        found = getattr(_current, "request", None)
        return f"<request {found.method} {found.path}>" if found else "<request (none: outside a route)>"


request: Request = _RequestProxy()  # type: ignore[assignment]
