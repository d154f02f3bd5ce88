"""Every error fastswarm raises on purpose, and the control-flow signals of a user's tasks.

The module has Locust's name (``locust.exception``), so a locustfile's
``from locust.exception import StopUser`` ports by changing ``locust`` alone. It is the
bottom of the import graph: every package may import it, it imports nothing of fastswarm
(``StopLocust`` is looked up lazily in ``fastswarm.compat``).

Errors carry their own one-line message and exit code; the commands in ``fastswarm/cli``
print them and exit, so library code never calls ``sys.exit``.
"""

from __future__ import annotations

from typing import Any


class FastswarmError(Exception):
    """Root of fastswarm's errors: one line for the user, and the exit code that goes with it."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(FastswarmError):
    """A bad option value, from the command line, the environment or a config file."""

    exit_code = 2


class TasksFileError(FastswarmError):
    """The tasks file is missing, does not import, or defines no runnable User."""

    exit_code = 2


class ProtocolError(FastswarmError):
    """A master/worker message that cannot be decoded or is of an unknown type or version."""

    exit_code = 1


class WorkerLostError(FastswarmError):
    """A worker stopped sending heartbeats or died."""

    exit_code = 1


class StartupError(FastswarmError):
    """The run could not start: a worker process could not be forked."""

    exit_code = 2


class CheckFailedError(FastswarmError):
    """A pass/fail threshold (--check) did not hold."""

    exit_code = 3


# -- control flow inside tasks (Locust's names, from locust.exception) --


class StopUser(Exception):
    """Raised in a task to stop this user for good."""


class RescheduleTask(Exception):
    """Raised in a task to abandon it and pick the next one at once."""


class InterruptTaskSet(Exception):
    """Raised inside a TaskSet to leave it and return to the parent."""

    def __init__(self, reschedule: bool = True) -> None:
        super().__init__()
        self.reschedule = reschedule


class ResponseError(Exception):
    """An HTTP response judged a failure (status >= 400, or ``failure()`` called)."""


class CatchResponseError(ResponseError):
    """The message given to ``response.failure(msg)`` inside ``catch_response``."""


# Locust's root name, for isinstance checks in ported files.
LocustError = FastswarmError

# Locust splits "reschedule" into two; fastswarm's RescheduleTask already skips the wait.
RescheduleTaskImmediately = RescheduleTask


def __getattr__(name: str) -> Any:
    """``StopLocust`` and other old names: served with one deprecation warning."""
    from fastswarm.compat.spellings import exception_attr

    return exception_attr(name)
