"""What both HTTP clients share around ``request``: the requests-style verbs, cookies, bodies, host.

``HttpSession`` (urllib3) and ``FastHttpSession`` (httptools) differ only in how a request
travels; the surface a tasks file calls, and how its arguments become a body, are written
once here. Nothing here imports urllib3, so the httptools client loads without it.
"""

from __future__ import annotations

import json as _json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastswarm.exception import ConfigError
from fastswarm.http.headers import parse_set_cookies

if TYPE_CHECKING:
    from fastswarm.http.response import Response
    from fastswarm.user.env import Environment


class CookieJar(dict[str, str]):
    """A session's cookies, name to value; the ``requests`` helpers tasks files call on it."""

    def get_dict(self) -> dict[str, str]:
        return dict(self)

    def set(self, name: str, value: str | None) -> None:
        """Set a cookie, or remove it when ``value`` is None (as requests' jar does)."""
        if value is None:
            self.pop(name, None)
        else:
            self[name] = value


def encode_body(data: Any, json: Any, files: Any) -> tuple[bytes | str | None | Any, str | None]:
    """The request body and the Content-Type it implies, in requests' manner."""
    if files:
        from urllib3.filepost import encode_multipart_formdata  # uploads only: keeps urllib3 lazy

        fields: list[tuple[str, Any]] = list(data.items() if isinstance(data, Mapping) else data or [])
        for key, value in files.items() if isinstance(files, Mapping) else files:
            if isinstance(value, tuple):
                fname, fobj = value[0], value[1]
                content = fobj.read() if hasattr(fobj, "read") else fobj
                fields.append((key, (fname, content, *value[2:3])))
            else:
                content = value.read() if hasattr(value, "read") else value
                fields.append((key, (getattr(value, "name", key), content)))
        body, ctype = encode_multipart_formdata(fields)
        return body, ctype
    if json is not None:
        return _json.dumps(json).encode(), "application/json"
    if data is None:
        return None, None
    if isinstance(data, (Mapping, list)):
        return urlencode(data, doseq=True), "application/x-www-form-urlencoded"
    if isinstance(data, str):
        return data.encode(), None
    return data, None


def split_timeout(value: Any) -> tuple[float | None, float | None]:
    """``(connect, whole request)`` seconds from a request's ``timeout=`` (None: no limit).

    A number bounds both; a requests-style ``(connect, read)`` pair bounds connecting by the
    first and the whole request by their sum; a urllib3 ``Timeout`` its ``total`` if set.
    """
    if value is None:
        return None, None
    if isinstance(value, tuple):
        connect, read = (_seconds(v) for v in value)
        return connect, None if connect is None or read is None else connect + read
    if hasattr(value, "connect_timeout") and hasattr(value, "total"):  # urllib3.Timeout
        connect, total = _seconds(value.connect_timeout), _seconds(value.total)
        if total is None and connect is not None:
            read = _seconds(value.read_timeout)  # asked only without a total: it raises with one
            total = None if read is None else connect + read
        return connect, total
    seconds = _seconds(value)
    if seconds is None:
        raise ValueError(f"timeout must be a number of seconds or a (connect, read) pair, got {value!r}")
    return seconds, seconds


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value <= 0:
        raise ValueError(f"timeout must be greater than 0, got {value!r}")
    return float(value)


def base_host(environment: Environment, user: Any) -> str:
    """The host a user's client talks to: ``--host`` (or the web UI's) over the class's ``host``."""
    host = environment.host or user.host
    if not host:
        raise ConfigError(
            "You must specify the base host. Either in the host attribute in the User class, "
            "or on the command line using the --host option."
        )
    return str(host)


def classes_without_host(user_classes: Any, host: str | None) -> list[str]:
    """The HttpUser/FastHttpUser classes that would have no host to talk to (``base_host``'s rule).

    Asked by the master before a run, so a forgotten ``-H`` is one line and exit 2 instead of
    every worker failing to build its users. The two classes are looked up among the loaded
    modules, not imported: a tasks file that uses neither loads no HTTP client for this.
    """
    if host:
        return []
    clients = (("fastswarm.http.users", "HttpUser"), ("fastswarm.http.fast_users", "FastHttpUser"))
    bases = tuple(
        getattr(module, attr) for name, attr in clients if (module := sys.modules.get(name)) is not None
    )
    if not bases:
        return []
    return [cls.__name__ for cls in user_classes if issubclass(cls, bases) and not getattr(cls, "host", None)]


class RequestMethods:
    """``get``/``post``/... and ``rename_request`` over the client's own ``request``."""

    request: Callable[..., Response]
    request_name: str | None
    cookies: CookieJar

    def _keep_cookies(self, headers: Mapping[str, str]) -> None:
        """Take the response's Set-Cookie headers into the jar (an expired cookie leaves it)."""
        for key, value in parse_set_cookies(headers).items():
            if value:
                self.cookies[key] = value
            else:
                self.cookies.pop(key, None)

    @contextmanager
    def rename_request(self, name: str) -> Iterator[None]:
        """Group the requests made inside the block under ``name`` (Locust's helper)."""
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = None

    def get(self, url: str, **kwargs: Any) -> Response:
        # A plain get("/path") skips unpacking an empty **kwargs (~0.1 µs of the hot path).
        return self.request("GET", url, **kwargs) if kwargs else self.request("GET", url)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        """HEAD does not follow redirects unless asked, as in requests."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> Response:
        return self.request("OPTIONS", url, **kwargs)
