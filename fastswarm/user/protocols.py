"""``UserLike``: what a TaskSet needs of the User that runs it.

``users.py`` imports ``task.py`` (a User runs its tasks through ``DefaultTaskSet``), so
``task.py`` names the user by this protocol instead of importing ``users.User``: the
imports stay one-way. ``users.User`` satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import gevent

    from fastswarm.user.measurement import Measurement


class UserLike(Protocol):
    """The parts of ``users.User`` that ``TaskSet`` uses."""

    tasks: Any
    client: Any

    def wait_time(self) -> float: ...

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet: ...

    def measure(self, name: str, request_type: str = "CUSTOM") -> AbstractContextManager[Measurement]: ...

    def _check_stop(self) -> None: ...

    def _report_error(self, exc: BaseException) -> None: ...

    def _sleep_between_tasks(self, seconds: float) -> None: ...
