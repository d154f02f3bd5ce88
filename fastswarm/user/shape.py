"""``LoadTestShape``: a class in the tasks file that drives users (or the arrival rate) over time.

Locust's API, so a locustfile's shape runs unchanged: subclass it and define ``tick()``,
which the master calls several times a second. ``tick()`` returns

- ``(users, spawn_rate)``: ramp to ``users`` at ``spawn_rate`` users/s;
- ``(users, spawn_rate, user_classes)``: the same, with only those User classes running;
- ``{"rate": R}``: the open model at ``R`` task iterations per second;
- ``None``: stop the test.

A subclass is runnable unless it sets ``abstract = True`` in its own body (the metaclass
gives every class its own ``abstract`` flag, so a base with ``abstract = True`` does not make
its subclasses abstract), as in Locust. Importing this module does nothing but define it.
"""

from __future__ import annotations

import time
from abc import ABCMeta, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing import TypeAlias

    from fastswarm.user.users import User

    TickResult: TypeAlias = (
        tuple[int, float] | tuple[int, float, list[type[User]] | None] | dict[str, float] | None
    )


class _ShapeMeta(ABCMeta):
    """Gives each class its own ``abstract`` flag: False unless its body says otherwise."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _ShapeMeta:
        namespace["abstract"] = namespace.get("abstract", False)
        return super().__new__(mcs, name, bases, namespace)


class LoadTestShape(metaclass=_ShapeMeta):
    """Base class of load shapes; the master builds one and calls ``tick()`` until it says stop."""

    abstract: ClassVar[bool] = True
    #: The master's runner (``environment.runner``), set before the first tick.
    runner: Any = None

    def __init__(self) -> None:
        self.start_time = time.monotonic()

    def reset_time(self) -> None:
        """Restart the shape's clock; the master calls it when the test starts."""
        self.start_time = time.monotonic()

    def get_run_time(self) -> float:
        """Seconds since the test started (since ``reset_time``)."""
        return time.monotonic() - self.start_time

    def get_current_user_count(self) -> int:
        """Users running across all workers now, as the workers last reported."""
        return int(self.runner.user_count) if self.runner is not None else 0

    @abstractmethod
    def tick(self) -> TickResult:
        """The load wanted now (see the module docstring), or None to stop the test."""
