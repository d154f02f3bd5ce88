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
import logging
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)
Listener = Callable[..., Any]


class FastswarmDeprecationWarning(DeprecationWarning):
    """An old Locust spelling was used; it still works, and the message names the new one."""


# old package attribute -> (module, new name)
PACKAGE_NAMES: dict[str, tuple[str, str]] = {
    "HttpLocust": ("fastswarm.http.users", "HttpUser"),
    "Locust": ("fastswarm.user.users", "User"),
}
EXCEPTION_NAMES: dict[str, tuple[str, str]] = {
    "StopLocust": ("fastswarm.exception", "StopUser"),
}
SWARM_FIELDS: dict[str, str] = {"locust_count": "users", "hatch_rate": "spawn_rate"}
SWARM_ALIASES: dict[str, str] = {"user_count": "users", **SWARM_FIELDS}
"""POST /swarm's other names for its fields, the one table: Locust's own ``user_count``
(current, no warning) and the seed's ``SWARM_FIELDS`` (deprecated, one warning each)."""

_warned: set[str] = set()
# fastswarm/, two levels up: warnings skip every frame inside the package
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


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


# -- POST /swarm --


def normalize_swarm_body(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with every ``SWARM_ALIASES`` field renamed to fastswarm's name
    (``user_count``/``locust_count`` -> ``users``, ``hatch_rate`` -> ``spawn_rate``).

    One warning per process for each deprecated field seen. A body that gives a field under
    two names keeps fastswarm's own, then the first alias in the table.
    """
    out = dict(body)
    for old, new in SWARM_ALIASES.items():
        if old in out:
            if old in SWARM_FIELDS:
                warn_once(f"swarm.{old}", f"POST /swarm field {old!r} is deprecated; send {new!r}")
            value = out.pop(old)
            out.setdefault(new, value)
    return out


def swarm_aliases(field: str) -> list[str]:
    """The other names ``field`` is accepted under in POST /swarm (for its documentation)."""
    return [old for old, new in SWARM_ALIASES.items() if new == field]
