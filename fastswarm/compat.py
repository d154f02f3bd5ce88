"""Every deprecated spelling fastswarm still accepts, in one place, each with one warning.

Older locustfiles (the seed's field guide is full of them) use names Locust itself has
dropped. Porting such a file should mean changing its import line, not rewriting it, so
the old names keep working here, mapped to what they mean now:

=============================  ===========================================================
old spelling                   what it becomes
=============================  ===========================================================
``fastswarm.HttpLocust``       ``fastswarm.HttpUser``
``fastswarm.Locust``           ``fastswarm.User``
``StopLocust`` (exception)     ``StopUser``
``events.request_success``     ``events.request`` with ``exception=None``
``events.request_failure``     ``events.request`` with the exception
``events.locust_start_hatching``  ``events.test_start``, in workers only, listeners called with no arguments
``events.master_start_hatching``  ``events.test_start``, in the master only, likewise
``events.EventHook``           ``fastswarm.EventHook`` (``locust.events`` was once a module)
POST /swarm ``locust_count``   ``users`` (``normalize_swarm_body``)
POST /swarm ``hatch_rate``     ``spawn_rate``
``task_set = X`` on a User     ``tasks = [X]`` (handled in ``tasks.py`` as classes are made)
``min_wait``/``max_wait`` ms   ``wait_time = between(s, s)`` (likewise)
=============================  ===========================================================

Each spelling warns once per process (``FastswarmDeprecationWarning``, a
``DeprecationWarning`` that ``cli.py`` makes visible), not once per use: an old
``request_success.fire`` in a hot task must not print a line per request.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastswarm.event import EventHook

if TYPE_CHECKING:
    from fastswarm.event import Events, RequestHook


logger = logging.getLogger(__name__)
Listener = Callable[..., Any]


class FastswarmDeprecationWarning(DeprecationWarning):
    """An old Locust spelling was used; it still works, and the message names the new one."""


# old package attribute -> (module, new name)
PACKAGE_NAMES: dict[str, tuple[str, str]] = {
    "HttpLocust": ("fastswarm.http.users", "HttpUser"),
    "Locust": ("fastswarm.user", "User"),
}
EXCEPTION_NAMES: dict[str, tuple[str, str]] = {
    "StopLocust": ("fastswarm.exceptions", "StopUser"),
}
SWARM_FIELDS: dict[str, str] = {"locust_count": "users", "hatch_rate": "spawn_rate"}

_warned: set[str] = set()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside fastswarm and importlib: the user's line."""
    level, frame = 1, sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        internal = "importlib" in name and "_bootstrap" in name  # warnings.warn skips these itself
        if not (internal or name.startswith(_PACKAGE_DIR)):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 0 if internal else 1
    return level


def warn_once(key: str, message: str) -> None:
    """Emit ``message`` as a FastswarmDeprecationWarning the first time ``key`` is seen.

    The warning names the line of the tasks file that used the old spelling.
    """
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(message, FastswarmDeprecationWarning, stacklevel=_caller_stacklevel())


def show_deprecations() -> None:
    """Make the old spellings' warnings print: Python hides DeprecationWarning outside __main__.

    fastswarm's own, and those raised from the tasks file's code (``task_set``,
    ``min_wait``, which ``tasks.py`` attributes to the class statement).
    """
    warnings.filterwarnings("default", category=FastswarmDeprecationWarning)
    warnings.filterwarnings("default", category=DeprecationWarning, module=r"fastswarm_tasks_")


def _lookup(table: dict[str, tuple[str, str]], owner: str, name: str) -> Any:
    if name not in table:
        raise AttributeError(f"module {owner!r} has no attribute {name!r}")
    module, new = table[name]
    warn_once(f"{owner}.{name}", f"{name} is deprecated; use {new} (from {owner} import {new})")
    return getattr(importlib.import_module(module), new)


def package_attr(name: str) -> Any:
    """``fastswarm.<old name>``: the new object, after one warning; AttributeError if unknown."""
    return _lookup(PACKAGE_NAMES, "fastswarm", name)


def exception_attr(name: str) -> Any:
    """``fastswarm.exception.<old name>``, likewise."""
    return _lookup(EXCEPTION_NAMES, "fastswarm.exception", name)


# -- events --


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


def legacy_event(events: Events, name: str) -> Any:
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


# -- POST /swarm --


def normalize_swarm_body(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with ``locust_count``/``hatch_rate`` renamed to ``users``/``spawn_rate``.

    One warning per process for each old field seen. A body that gives both spellings keeps
    the new one.
    """
    out = dict(body)
    for old, new in SWARM_FIELDS.items():
        if old in out:
            warn_once(f"swarm.{old}", f"POST /swarm field {old!r} is deprecated; send {new!r}")
            value = out.pop(old)
            out.setdefault(new, value)
    return out
