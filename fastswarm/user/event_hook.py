"""Event hooks: the one way a tasks file reacts to what the runtime does (the hooks; the
catalogue is ``event.py``).

The shape is Locust's (``locust/event.py``): a tiny ``EventHook`` and a declared catalogue,
``Events``, one hook per event with its arguments documented beside it. A hook is truthy
only while it has listeners, so hot paths can write ``if hook: hook.fire(...)`` and pay
nothing when nobody listens.

``RequestHook`` is the one hook with a side effect: bound to the worker's recorder, firing it
records the request, so code written for Locust (``events.request.fire(...)``) lands in the
statistics. fastswarm's own HTTP clients record directly and call ``notify`` instead, which
skips the recorder and only reaches listeners.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from fastswarm.exception import FastswarmError, InterruptTaskSet, RescheduleTask, ResponseError, StopUser

logger = logging.getLogger(__name__)

Listener = Callable[..., Any]
H = TypeVar("H", bound="EventHook")

# Object reprs carry addresses ("<Conn object at 0x7f..>") that would split one error
# into thousands of groups; Locust strips them for the same reason.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_STEERING = (StopUser, RescheduleTask, InterruptTaskSet)


class RequestRecorder(Protocol):
    """What ``RequestHook`` writes to: ``stats.recorder.Recorder`` satisfies it."""

    def record(self, method: str, name: str, elapsed_us: int, length: int, error: str | None = None) -> None:
        """Count one request of ``elapsed_us`` microseconds; ``error`` is None on success."""


def error_text(exc: BaseException | str) -> str:
    """The message an error is grouped by in the statistics, the same from every client.

    A ``ResponseError`` (including ``CatchResponseError``) is a message the user or the
    client chose, so it is kept as written; anything else is prefixed by its class name so
    that ``ConnectionRefusedError: ...`` and ``TimeoutError: ...`` read differently. A plain
    string (Locust lets ``exception=`` be one) is taken as the message itself.
    """
    if isinstance(exc, str):
        return exc
    text = str(exc)
    if isinstance(exc, ResponseError):
        message = text or type(exc).__name__
    elif text:
        message = f"{type(exc).__name__}: {text}"
    else:
        message = repr(exc)
    return _ADDRESS.sub("", message)


class EventHook:
    """A list of listeners called with keyword arguments when the event fires.

    A listener that raises is logged and the others still run: one broken listener in a
    tasks file must not stop the test or hide the event from the rest. The exceptions that
    steer a user (``StopUser``, ``RescheduleTask``, ``InterruptTaskSet``) are the exception, as
    in Locust: raised from a listener of an event fired inside a task (``request`` above all),
    they reach that task as if it had raised them itself.
    """

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: list[Listener] = []

    def add_listener(self, handler: Listener) -> Listener:
        """Register ``handler``; returns it, so this works as a decorator."""
        self._handlers.append(handler)
        return handler

    def remove_listener(self, handler: Listener) -> None:
        """Unregister ``handler``; ValueError if it was never added."""
        self._handlers.remove(handler)

    def __iadd__(self: H, handler: Listener) -> H:
        self.add_listener(handler)
        return self

    def __isub__(self: H, handler: Listener) -> H:
        self.remove_listener(handler)
        return self

    def __bool__(self) -> bool:
        return bool(self._handlers)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} listeners={len(self._handlers)}>"

    def fire(self, *, reverse: bool = False, **kwargs: Any) -> None:
        """Call every listener with ``kwargs`` (keyword arguments only, as Locust).

        ``reverse=True`` calls them last-registered first, for teardown-style events.
        """
        handlers = reversed(self._handlers) if reverse else tuple(self._handlers)
        for handler in handlers:
            try:
                handler(**kwargs)
            except _STEERING:
                raise
            except FastswarmError as exc:  # carries its own one-line message: no traceback
                logger.error("event listener %s: %s", getattr(handler, "__qualname__", handler), exc)
            except Exception:
                logger.exception("Uncaught exception in event listener %r", handler)


class RequestHook(EventHook):
    """``events.request``: records into the bound recorder, then tells the listeners."""

    __slots__ = ("_recorder",)

    def __init__(self) -> None:
        super().__init__()
        self._recorder: RequestRecorder | None = None

    def bind(self, recorder: RequestRecorder | None) -> None:
        """Make ``fire`` record into ``recorder`` (the worker's); None unbinds."""
        self._recorder = recorder

    @property
    def recorder(self) -> RequestRecorder | None:
        """The recorder that ``fire`` writes to, if any."""
        return self._recorder

    def fire(  # type: ignore[override]
        self,
        *,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int | None,
        exception: BaseException | str | None = None,
        context: dict[str, Any] | None = None,
        response: Any = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Record one request (``response_time`` in ms, a float, as Locust) and notify listeners."""
        recorder = self._recorder
        if recorder is not None:
            recorder.record(
                request_type,
                name,
                int(round(response_time * 1000)),
                response_length or 0,
                None if exception is None else error_text(exception),
            )
        if self._handlers:
            EventHook.fire(
                self,
                request_type=request_type,
                name=name,
                response_time=response_time,
                response_length=response_length,
                exception=exception,
                context=context if context is not None else {},
                response=response,
                url=url,
                **kwargs,
            )

    def notify(self, **kwargs: Any) -> None:
        """Call only the listeners: for clients that already recorded the request themselves."""
        EventHook.fire(self, **kwargs)
