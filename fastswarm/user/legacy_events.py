"""Old event names (``request_success``, ``locust_start_hatching``...), mapped onto current hooks.

The table of every old spelling is ``fastswarm/compat/__init__.py``; the event names live
here, below ``event.py``, because they are hooks themselves: ``Events.__getattr__`` serves
them through ``legacy_event``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, Protocol

from fastswarm.compat.spellings import warn_once
from fastswarm.user.event_hook import EventHook, RequestHook

logger = logging.getLogger(__name__)
Listener = Callable[..., Any]


class _CurrentEvents(Protocol):
    """The two hooks of ``event.Events`` that old names are mapped onto."""

    request: RequestHook
    test_start: EventHook


def _takes_environment(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD or p.name == "environment" for p in params)


class _WrappingHook(EventHook):
    """An old event name: its listeners are wrapped and attached to a current hook."""

    def __init__(self, target: EventHook) -> None:
        super().__init__()
        self._target = target
        self._wrappers: dict[Listener, Listener] = {}

    def wrap(self, fn: Listener) -> Listener:
        raise NotImplementedError

    def add_listener(self, handler: Listener) -> Listener:
        wrapper = self.wrap(handler)
        self._wrappers[handler] = wrapper
        self._handlers.append(handler)
        self._target.add_listener(wrapper)
        return handler

    def remove_listener(self, handler: Listener) -> None:
        self._target.remove_listener(self._wrappers.pop(handler))
        self._handlers.remove(handler)


class LegacyRequestHook(_WrappingHook):
    """``request_success`` / ``request_failure``: firing records through ``events.request``.

    Locust 0.x/1.x's meaning is kept: ``response_time`` in ms (int or float), ``response_length``
    optional on failures; success listeners get (request_type, name, response_time,
    response_length), failure listeners get those and ``exception``.
    """

    def __init__(self, request: RequestHook, failure: bool) -> None:
        super().__init__(request)
        self._request = request
        self._failure = failure

    def wrap(self, fn: Listener) -> Listener:
        failure = self._failure

        def wrapper(
            *,
            request_type: str,
            name: str,
            response_time: float,
            response_length: Any,
            exception: Any = None,
            **_: Any,
        ) -> None:
            if (exception is not None) != failure:
                return
            if failure:
                fn(
                    request_type=request_type,
                    name=name,
                    response_time=response_time,
                    response_length=response_length,
                    exception=exception,
                )
            else:
                fn(
                    request_type=request_type,
                    name=name,
                    response_time=response_time,
                    response_length=response_length,
                )

        return wrapper

    def fire(self, *, reverse: bool = False, **kwargs: Any) -> None:
        exception = kwargs.pop("exception", None)
        if self._failure and exception is None:
            exception = "request_failure fired without an exception"
        self._request.fire(
            request_type=kwargs.pop("request_type"),
            name=kwargs.pop("name"),
            response_time=kwargs.pop("response_time"),
            response_length=kwargs.pop("response_length", 0),
            exception=exception if self._failure else None,
            **kwargs,
        )


class LegacyStartHook(_WrappingHook):
    """``locust_start_hatching`` (workers) / ``master_start_hatching`` (master) on ``test_start``.

    They fired once per test, with no arguments; a listener that accepts ``environment`` (or
    ``**kwargs``) gets it.
    """

    def __init__(self, test_start: EventHook, role: str) -> None:
        super().__init__(test_start)
        self._role = role

    def wrap(self, fn: Listener) -> Listener:
        role, with_env = self._role, _takes_environment(fn)

        def wrapper(*, environment: Any, **_: Any) -> None:
            if getattr(environment, "role", None) == role:
                fn(environment=environment) if with_env else fn()

        return wrapper

    def fire(self, *, reverse: bool = False, **kwargs: Any) -> None:
        """Call this hook's own listeners (not every test_start listener)."""
        environment = kwargs.get("environment")
        for handler in reversed(self._handlers) if reverse else tuple(self._handlers):
            try:
                handler(environment=environment) if _takes_environment(handler) else handler()
            except Exception:  # noqa: BLE001 - as EventHook.fire: log, carry on
                logger.exception("Uncaught exception in event listener %r", handler)


_NEW_EVENT = {
    "request_success": "request",
    "request_failure": "request",
    "locust_start_hatching": "test_start",
    "master_start_hatching": "test_start",
    "EventHook": "fastswarm.EventHook",
}


def legacy_event(events: _CurrentEvents, name: str) -> Any:
    """``events.<old name>``: built once per Events (and stored on it), after one warning."""
    if name not in _NEW_EVENT:
        raise AttributeError(f"{type(events).__name__!r} object has no attribute {name!r}")
    hook: Any
    if name == "EventHook":
        hook = EventHook
    elif name.startswith("request_"):
        hook = LegacyRequestHook(events.request, failure=name == "request_failure")
    else:
        hook = LegacyStartHook(events.test_start, "master" if name.startswith("master") else "worker")
    warn_once(
        f"events.{name}",
        f"events.{name} is deprecated; use {'events.' if name != 'EventHook' else ''}{_NEW_EVENT[name]}",
    )
    object.__setattr__(events, name, hook)
    return hook
