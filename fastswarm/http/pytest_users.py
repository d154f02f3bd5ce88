"""pytest-style tasks files: each ``test_*`` function becomes a User that calls it in a loop.

A file written for pytest (``def test_checkout(session): session.get("/cart")``) runs both as
a functional test under pytest (``fastswarm.http.pytest_plugin`` gives it the ``session`` and
``fastsession`` fixtures) and as load under ``fastswarm -f test_file.py``, where the loader
turns each test function into a User class named after it. Its one task calls the function
with the fixtures it names, bound to that user: ``session`` is the user's ``HttpSession``,
``fastsession`` its ``FastHttpSession``. A failed assertion or other error is recorded as a
user error and the function starts again, as a Locust task would.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from fastswarm.exception import TasksFileError
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.methods import base_host
from fastswarm.http.session import HttpSession
from fastswarm.user.task import task
from fastswarm.user.users import User

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

FIXTURES = ("session", "fastsession")


class PytestUser(User):
    """Runs one pytest-style test function over and over, with its fixtures bound to this user."""

    abstract = True
    test_function: ClassVar[Callable[..., Any]]
    fixture_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        host = base_host(environment, self)
        self._fixtures: dict[str, Any] = {}
        if "session" in self.fixture_names:
            self._fixtures["session"] = HttpSession(environment, host, user=self)
        if "fastsession" in self.fixture_names:
            self._fixtures["fastsession"] = FastHttpSession(environment, host, user=self)
        self.client = self._fixtures.get("fastsession", self._fixtures.get("session"))

    @task
    def run_test_function(self) -> None:
        type(self).test_function(**self._fixtures)


def users_from_test_functions(module: ModuleType) -> list[type[User]]:
    """A PytestUser subclass for each ``test_*`` function defined in ``module``, in file order."""
    users: list[type[User]] = []
    for name, fn in vars(module).items():
        if not (name.startswith("test_") and inspect.isfunction(fn) and fn.__module__ == module.__name__):
            continue
        params = tuple(inspect.signature(fn).parameters)
        unknown = [p for p in params if p not in FIXTURES]
        if unknown:
            raise TasksFileError(
                f"{name}: fixture {unknown[0]!r} is not available under fastswarm (only session, fastsession)"
            )
        users.append(
            type(
                name,
                (PytestUser,),
                {"test_function": staticmethod(fn), "fixture_names": params, "__module__": module.__name__},
            )
        )
    return users
