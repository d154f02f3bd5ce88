"""``rest`` and ``rest_``: Locust's helpers for JSON APIs, on both HttpUser and FastHttpUser.

A JSON API test checks the decoded body more than the status, and a missing key or a failed
``assert`` should fail that request with a message, not end the task before the request is
even counted. So ``rest`` sends the request with ``catch_response=True`` and JSON headers,
decodes the body once into ``.js``, and turns an exception raised in the with-block into the
request's failure. The request itself is recorded by ``ResponseContextManager`` as usual.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastswarm.exception import InterruptTaskSet, RescheduleTask, StopUser
from fastswarm.http.response import ResponseContextManager

# These steer the user; they reach it after the request is recorded, never become its failure.
_STEERING = (StopUser, RescheduleTask, InterruptTaskSet)
_JSON = "application/json"
_SHOWN = 200  # characters of the body quoted in a failure message


class RestResponseContextManager(ResponseContextManager):
    """The response ``rest`` yields: a ``catch_response`` response with the body decoded once.

    ``js`` is the decoded JSON body, or None when the body was empty, not JSON, or no
    response arrived (those last two already marked the request failed).
    """

    __slots__ = ("js",)

    def __init__(self, caught: ResponseContextManager) -> None:
        super().__init__(caught, caught._environment)
        self.js: Any = None


def json_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of ``headers`` with Content-Type and Accept set to JSON unless already given."""
    if headers is not None and not isinstance(headers, Mapping):
        raise TypeError(f"rest(): headers must be a mapping of names to values, got {type(headers).__name__}")
    merged = dict(headers or {})
    given = {key.lower() for key in merged}
    for key in ("Content-Type", "Accept"):
        if key.lower() not in given:
            merged[key] = _JSON
    return merged


def _where(exc: BaseException) -> str:
    """``file:line`` of each frame the exception passed through in the tasks file, innermost last."""
    here = Path(__file__).name
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).name != here]
    return ", ".join(f"{Path(f.filename).name}:{f.lineno}" for f in frames) or "?"


def _short(resp: RestResponseContextManager) -> str:
    return resp.text[:_SHOWN]


def _decode(resp: RestResponseContextManager) -> None:
    """Fill ``js``; a transport error or a body that is not JSON marks the request failed."""
    if resp.error is not None:
        resp.failure(resp.error)
        return
    text = resp.text
    if not text:
        return
    try:
        resp.js = resp.json()
    except ValueError as e:
        resp.failure(f"response is not JSON ({e}), status {resp.status_code}, body: {text[:250]}")


def _fail_from(resp: RestResponseContextManager, exc: Exception) -> None:
    """The failure an exception raised in the with-block earns (Locust's wording rules).

    An ``assert`` with a message fails with that message; a message ending in "," has the
    start of the body appended, so ``assert resp.js["ok"], "not ok,"`` shows what came back.
    """
    if isinstance(exc, AssertionError):
        message = str(exc.args[0]) if exc.args else ""
        if not message:
            resp.failure("Assertion failed")
        elif message.endswith(","):
            resp.failure(f"{message[:-1]}, response was {_short(resp)}")
        else:
            resp.failure(message)
        return
    resp.failure(f"{type(exc).__name__}: {exc} at {_where(exc)}. Response was {_short(resp)}")


class RestMixin:
    """Gives a user with an HTTP ``client`` Locust's ``rest`` and ``rest_`` methods."""

    client: Any

    @contextmanager
    def rest(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Iterator[RestResponseContextManager]:
        """Send a JSON request and yield its response with ``.js``, the body decoded once.

        The request is made with ``catch_response=True``; unless the block calls
        ``success()``/``failure()``, it fails on a transport error, a body that is not JSON,
        or a status >= 400. An exception raised in the block (a ``KeyError`` from
        ``resp.js["key"]``, a failed ``assert``) fails the request with its message and does
        not reach the task; ``StopUser`` and the other steering exceptions still do, after
        the request is recorded.
        """
        if not isinstance(method, str) or not isinstance(url, str):
            raise TypeError(f"rest(): method and url must be strings, got {method!r}, {url!r}")
        if "catch_response" in kwargs:
            raise TypeError("rest() always uses catch_response=True; do not pass it")
        sent = json_headers(headers)
        steer: BaseException | None = None
        caught = self.client.request(method, url, catch_response=True, headers=sent, **kwargs)
        resp = RestResponseContextManager(caught)
        with resp:
            _decode(resp)
            try:
                yield resp
            except _STEERING as e:
                steer = e
            except Exception as e:
                _fail_from(resp, e)
        if steer is not None:
            raise steer

    @contextmanager
    def rest_(
        self, method: str, url: str, name: str | None = None, **kwargs: Any
    ) -> Iterator[RestResponseContextManager]:
        """``rest`` with a ``_=<ms timestamp>`` query parameter to get past caches, named
        ``url?_=...`` in the statistics unless ``name`` is given."""
        separator = "&" if "?" in url else "?"
        if name is None:
            name = f"{url}{separator}_=..."
        stamped = f"{url}{separator}_={int(time.time() * 1000)}"
        with self.rest(method, stamped, name=name, **kwargs) as resp:
            yield resp
