"""User: one simulated user, a greenlet that runs on_start, then tasks and waits, then on_stop.

The runtime builds ``cls(environment)``, sets ``user_id``, calls ``start(group)`` and later
``stop()``. Everything a task raises, other than the control-flow exceptions, is recorded
(``recorder.record_user_error`` and ``events.user_error``) and the user carries on: a bug
in a tasks file costs a statistic, never the process.

Stopping follows Locust: a user asleep between tasks is killed at once (one whose wait ends
before the kill lands takes it then, before starting another task); one in the middle of a
task is flagged and leaves when the task ends (``force`` kills it at once anyway).
Either way on_stop runs, once, inside the user's greenlet, and the greenlets the user
started with ``self.spawn`` die with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Any

import gevent
from gevent import GreenletExit
from gevent.pool import Group

from fastswarm.exception import (
    InterruptTaskSet,
    RescheduleTask,
    StopUser,
    TasksFileError,
)
from fastswarm.user.measurement import Measurement
from fastswarm.user.task import DefaultTaskSet, TaskSet
from fastswarm.user.task import tag as tag
from fastswarm.user.task import task as task
from fastswarm.user.task_collection import apply_deprecated_spellings, collect_tasks
from fastswarm.user.task_collection import filter_tasks_by_tags as filter_tasks_by_tags
from fastswarm.user.wait_time import constant

if TYPE_CHECKING:
    from fastswarm.user.env import Environment

logger = logging.getLogger(__name__)

_CONTROL_FLOW = (StopUser, RescheduleTask, InterruptTaskSet)


class UserState(Enum):
    """Where a user is in its life; ``stop()`` acts on it."""

    IDLE = "idle"  # built or spawned, run() not begun
    RUNNING = "running"  # in on_start or a task
    WAITING = "waiting"  # asleep between tasks: safe to kill
    STOPPING = "stopping"  # asked to stop after its task, killed while asleep, or running on_stop
    STOPPED = "stopped"


# The states the task loop checks on every turn, as module globals: an Enum member lookup
# (``UserState.STOPPING``) costs more than the rest of the check.
_STOPPING = UserState.STOPPING
_WAITING = UserState.WAITING
_RUNNING = UserState.RUNNING


def _check_task_classes(owner: type) -> None:
    """Classes in a task list must be TaskSets (a User there is a common slip)."""
    for t in owner.tasks:  # type: ignore[attr-defined]
        if isinstance(t, type) and not issubclass(t, TaskSet):
            raise TasksFileError(f"{owner.__name__}.tasks: {t.__name__} is a class but not a TaskSet")


def _run_user(user: User) -> None:
    """The user greenlet's function; the user is ``greenlet.args[0]``, as Locust's runners expect."""
    user.run()


def _run_user_open(user: User, take_arrival: Callable[[], bool], end_arrival: Callable[[], None]) -> None:
    """The open-model user greenlet's function (``args[0]`` is the user, as for ``_run_user``)."""
    user.run_open(take_arrival, end_arrival)


class User:
    """A simulated user. Subclass it, give it tasks and a wait_time; the runtime does the rest."""

    host: str | None = None
    """Base URL for clients that need one; ``--host`` overrides it."""
    weight: int = 1
    """Relative share of users of this class."""
    fixed_count: int = 0
    """If > 0, exactly this many users of this class, taken before weights apply."""
    abstract: bool = True
    """True only where a class sets it: abstract classes are never run."""
    tasks: Any = []
    """Its tasks: ``@task`` methods, plus a ``tasks`` list or ``{task: weight}`` dict; a flat
    list (a task of weight w appears w times) once the class is created."""
    wait_time = constant(0)
    """Seconds to sleep after each task: ``between``, ``constant``, ``constant_pacing``..."""
    client: Any
    """Set by client-bearing subclasses (HttpUser); plain Users have none."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        cls.tasks = collect_tasks(cls, apply_deprecated_spellings(cls))
        _check_task_classes(cls)
        for attr in ("weight", "fixed_count"):
            value = getattr(cls, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TasksFileError(f"{cls.__name__}.{attr} must be a whole number >= 0, got {value!r}")

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.user_id = 0
        self._state = UserState.IDLE
        self._greenlet: gevent.Greenlet | None = None
        self._group: Group | None = None
        self._spawned: Group | None = None
        self._taskset_instance: TaskSet | None = None
        self._on_stop_due = False
        self._last_turn = -1  # the event loop's iteration when this user last yielded
        self._hub_loop: Any = None  # the event loop of the user's greenlet, once it waits

    # -- what a tasks file overrides or calls --

    def on_start(self) -> None:
        """Called once when the user starts, before its first task."""

    def on_stop(self) -> None:
        """Called once when the user stops, however it stops (if it had started)."""

    def context(self) -> dict[str, Any]:
        """Extra ``context`` passed with this user's request events; override to add keys."""
        return {}

    def wait(self) -> None:
        """Sleep one wait_time now; a graceful stop may end the user during this sleep."""
        self._sleep_between_tasks(self.wait_time())

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        """Start a background greenlet that is killed when this user stops."""
        if self._spawned is None:
            self._spawned = Group()
        glet = self._spawned.spawn(fn, *args, **kwargs)
        if self._state is UserState.STOPPED:
            glet.kill(block=False)
        return glet

    @contextmanager
    def measure(self, name: str, request_type: str = "CUSTOM") -> Iterator[Measurement]:
        """Time the block and record it as one request of ``request_type`` / ``name``.

        ``m.failure(msg)`` inside the block records a failure; an exception escaping the block
        is recorded as a failure and re-raised. Control flow (StopUser, RescheduleTask,
        InterruptTaskSet, GreenletExit) records nothing: the operation was abandoned.
        """
        measurement = Measurement(name, request_type)
        start = time.perf_counter()
        try:
            yield measurement
        except _CONTROL_FLOW:
            raise
        except Exception as e:
            self._fire_measured(measurement, start, e)
            raise
        self._fire_measured(measurement, start, measurement.error)

    def _fire_measured(self, m: Measurement, start: float, error: BaseException | None) -> None:
        self.environment.events.request.fire(
            request_type=m.request_type,
            name=m.name,
            response_time=(time.perf_counter() - start) * 1000.0,
            response_length=0,
            exception=error,
            context=self.context(),
        )

    # -- what the runtime calls --

    @property
    def greenlet(self) -> gevent.Greenlet | None:
        """The greenlet running this user, once started."""
        return self._greenlet

    @property
    def state(self) -> UserState:
        """Where the user is in its life."""
        return self._state

    def start(self, group: Group) -> gevent.Greenlet:
        """Spawn the user's greenlet in ``group`` (its ``args[0]`` is the user) and return it."""
        self._group = group
        self._greenlet = group.spawn(_run_user, self)
        return self._greenlet

    def stop(self, force: bool = False) -> bool:
        """Stop the user: True if it was killed now, False if it will stop after its current task.

        Killing does not block: join the greenlet (or its group) to wait for on_stop.
        A user stopping itself from inside its own greenlet ends at once.
        """
        glet = self._greenlet
        if glet is None or glet.dead:
            if self._state is UserState.IDLE:
                self._state = UserState.STOPPED
            return True
        if glet is gevent.getcurrent():
            raise GreenletExit()
        if force or self._state in (UserState.IDLE, UserState.WAITING):
            if self._state is _WAITING:
                self._state = _STOPPING  # the kill is queued: a wait ending first must not start a task
            glet.kill(block=False)
            return True
        if self._state is UserState.RUNNING:
            self._state = UserState.STOPPING
        return False

    def run(self) -> None:
        """The user's life: on_start, the task loop, on_stop; never raises a task's error."""
        if self._state in (UserState.STOPPING, UserState.STOPPED):
            return  # stopped before it began
        self._state = UserState.RUNNING
        self._on_stop_due = True
        taskset = self._taskset_instance = DefaultTaskSet(self)
        try:
            self.on_start()
            taskset.run()
        except (StopUser, GreenletExit):
            pass
        except Exception as e:
            self._report_error(e)
        finally:
            self._finish()

    def start_open(
        self, group: Group, take_arrival: Callable[[], bool], end_arrival: Callable[[], None]
    ) -> gevent.Greenlet:
        """Spawn the user for the open model (``run_open``); its greenlet's ``args[0]`` is the user."""
        self._group = group
        self._greenlet = group.spawn(_run_user_open, self, take_arrival, end_arrival)
        return self._greenlet

    def run_open(self, take_arrival: Callable[[], bool], end_arrival: Callable[[], None]) -> None:
        """The user's life in the open model: on_start, one task per arrival, on_stop.

        ``take_arrival()`` blocks until the pacer hands this user an arrival (True) or the
        pool closes (False); ``end_arrival()`` follows each task, however it ended. The user
        waits there, not in ``wait_time``: the schedule, not the user, decides when the next
        task starts. Stopping works as in ``run``.
        """
        if self._state in (UserState.STOPPING, UserState.STOPPED):
            return
        self._state = UserState.RUNNING
        self._on_stop_due = True
        taskset = self._taskset_instance = DefaultTaskSet(self)
        try:
            self.on_start()
            while True:
                self._check_stop()
                self._state = UserState.WAITING
                more = take_arrival()
                if self._state is not _WAITING:  # stop() killed it as the arrival came
                    if more:
                        end_arrival()
                    self._take_queued_kill()
                self._state = UserState.RUNNING
                if not more:
                    break
                try:
                    taskset.run_one()
                finally:
                    end_arrival()
        except (StopUser, GreenletExit):
            pass
        except Exception as e:
            self._report_error(e)
        finally:
            self._finish()

    # -- used by the task loop --

    def _check_stop(self) -> None:
        if self._state is _STOPPING:
            raise StopUser()

    def _sleep_between_tasks(self, seconds: float) -> None:
        if self._state is _STOPPING:
            raise StopUser()
        loop = self._hub_loop
        if loop is None:
            loop = self._hub_loop = gevent.get_hub().loop  # the user's greenlet stays on this hub
        if seconds <= 0:
            # A zero wait is there to let the other greenlets run. If the event loop has turned
            # since this user last yielded, its task blocked (on I/O) and they already have, so
            # the ~1 µs sleep(0) is skipped; a task that never blocks still yields every time.
            turn = getattr(loop, "iteration", -2)  # its polls so far (-2: the loop cannot say)
            if turn != self._last_turn:
                self._last_turn = turn
                return
        self._state = _WAITING
        gevent.sleep(seconds)
        if self._state is not _WAITING:  # stop() killed it as the wait ended
            self._take_queued_kill()
        self._state = _RUNNING
        self._last_turn = getattr(loop, "iteration", -2)

    def _take_queued_kill(self) -> None:
        """Take the kill ``stop()`` queued as this user's wait was ending, before any new task.

        The stop and the end of the wait fell due in the same turn of the event loop, the stop
        first: the kill waits in the loop's callbacks, behind this wake-up. Starting a task here
        would send a request that the kill cuts off ("interrupted at stop") even with a stop
        timeout. ``sleep(0)`` queues this greenlet behind the kill, which raises GreenletExit
        here; the raise below only stands in should it ever not.
        """
        gevent.sleep(0)
        raise GreenletExit()

    def _report_error(self, exc: BaseException) -> None:
        env = self.environment
        recorder = env.recorder
        if recorder is not None:
            recorder.record_user_error(exc)
        hook = env.events.user_error
        if hook:
            hook.fire(user_instance=self, exception=exc, tb=exc.__traceback__)
        logger.debug("user %s: task error", self.user_id, exc_info=exc)

    def _finish(self) -> None:
        self._state = UserState.STOPPING
        try:
            if self._on_stop_due:
                self._on_stop_due = False
                try:
                    self.on_stop()
                except _CONTROL_FLOW:
                    pass
                except Exception as e:
                    self._report_error(e)
        finally:
            self._state = UserState.STOPPED
            if self._spawned is not None:
                self._spawned.kill(block=True, timeout=1.0)
