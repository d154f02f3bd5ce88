"""``@task``, ``@tag`` and TaskSets: groups of tasks a user runs until told to leave (Locust 2.x
semantics; Locust's ``locust.user.task`` holds the same names).

The pick / run / wait loop lives here, once. A User runs it through ``DefaultTaskSet``, which
reads the user's own ``tasks``; a nested TaskSet runs it with its own tasks until a task
calls ``interrupt()``. Control flow is by exception, as in Locust:

- ``RescheduleTask`` abandons the task and picks the next one at once (no wait);
- ``InterruptTaskSet(reschedule)`` leaves the TaskSet (the parent goes on at once when
  ``reschedule`` is true, else after its wait);
- ``StopUser`` and ``GreenletExit`` unwind every level, each TaskSet's on_stop running on
  the way out;
- anything else is recorded as a user error and the loop carries on after its wait.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar, overload

import gevent

from fastswarm.exception import InterruptTaskSet, RescheduleTask, StopUser, TasksFileError
from fastswarm.user.task_collection import (
    TAGS_ATTR,
    WEIGHT_ATTR,
    apply_deprecated_spellings,
    check_weight,
    collect_tasks,
)
from fastswarm.user.wait_time import mark_task_start

if TYPE_CHECKING:
    from fastswarm.user.measurement import Measurement
    from fastswarm.user.protocols import UserLike as User

_random = random.random
F = TypeVar("F", bound=Callable[..., Any])


@overload
def task(weight: F) -> F: ...
@overload
def task(weight: int = 1) -> Callable[[F], F]: ...
def task(weight: Any = 1) -> Any:
    """Mark a method, function or TaskSet class as a task: ``@task`` or ``@task(3)``."""

    def decorator(fn: F) -> F:
        setattr(fn, WEIGHT_ATTR, check_weight(weight, getattr(fn, "__qualname__", repr(fn))))
        return fn

    if callable(weight):
        fn, weight = weight, 1
        return decorator(fn)
    check_weight(weight, "@task()")
    return decorator


def tag(*tags: str) -> Callable[[F], F]:
    """Tag a task (or every task of a TaskSet class) for ``--tags`` / ``--exclude-tags``."""
    if not tags or callable(tags[0]):
        raise TasksFileError("@tag needs at least one tag name: @tag('name')")
    for name in tags:
        if not isinstance(name, str):
            raise TasksFileError(f"@tag names must be strings, got {name!r}")

    def decorator(decorated: F) -> F:
        inner = getattr(decorated, "tasks", None)
        if isinstance(decorated, type) and isinstance(inner, list):
            decorated.tasks = [decorator(t) for t in inner]  # type: ignore[attr-defined]
        else:
            own = decorated.__dict__.get(TAGS_ATTR) if hasattr(decorated, "__dict__") else None
            setattr(decorated, TAGS_ATTR, set(own or ()) | set(tags))
        return decorated

    return decorator


class TaskSet:
    """A set of tasks with its own on_start/on_stop and, optionally, its own wait_time."""

    tasks: Any = []
    """Its tasks: ``@task`` methods, plus a ``tasks`` list or ``{task: weight}`` dict; a flat
    list (a task of weight w appears w times) once the class is created."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tasks = collect_tasks(cls, apply_deprecated_spellings(cls))

    def __init__(self, parent: User | TaskSet) -> None:
        self.parent = parent
        self.user: User = parent.user if isinstance(parent, TaskSet) else parent
        self._task_queue: deque[Callable[..., Any]] = deque()
        self._on_stop_due = False

    # -- what a tasks file overrides or calls --

    def on_start(self) -> None:
        """Called when the user enters this TaskSet, before its first task."""

    def on_stop(self) -> None:
        """Called once when the user leaves this TaskSet, however it leaves."""

    def wait_time(self) -> float:
        """The user's wait time, unless this TaskSet sets its own ``wait_time``."""
        return float(self.user.wait_time())

    @property
    def client(self) -> Any:
        """The user's client (``self.user.client``)."""
        return self.user.client

    def interrupt(self, reschedule: bool = True) -> None:
        """Leave this TaskSet; the parent picks its next task at once if ``reschedule``, else waits."""
        raise InterruptTaskSet(reschedule)

    def schedule_task(self, task: Callable[..., Any], first: bool = False) -> None:
        """Run ``task`` next (``first``) or after those already scheduled, before random picks resume."""
        if first:
            self._task_queue.appendleft(task)
        else:
            self._task_queue.append(task)

    def get_next_task(self) -> Any:
        """Pick the next task: weighted random, as the flat task list encodes the weights."""
        return random.choice(self.tasks)

    def execute_task(self, task: Any) -> None:
        """Run one task: a nested TaskSet class, a method bound to this object, or a function of it."""
        if isinstance(task, type) and issubclass(task, TaskSet):
            task(self).run()
        elif getattr(task, "__self__", None) is self:
            task()
        else:
            task(self)

    def wait(self) -> None:
        """Sleep this TaskSet's wait time; a graceful stop may end the user during the sleep."""
        self.user._sleep_between_tasks(self.wait_time())

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        """Start a background greenlet owned by the user; it is killed when the user stops."""
        return self.user.spawn(fn, *args, **kwargs)

    def measure(self, name: str, request_type: str = "CUSTOM") -> AbstractContextManager[Measurement]:
        """Time a block as one request (see ``User.measure``)."""
        return self.user.measure(name, request_type)

    # -- the loop --

    def run(self) -> None:
        """Run on_start, then tasks until interrupted or the user stops; on_stop runs on the way out."""
        try:
            self._on_stop_due = True
            self.on_start()
            if not self.tasks and not self._task_queue:
                raise TasksFileError(
                    f"{self._owner_name()} has no tasks: add @task methods or 'tasks = [...]'"
                )
            mark_task_start(self._pacing_owner())
            self._loop()
        except InterruptTaskSet as e:
            self._leave()
            if e.reschedule:
                raise RescheduleTask() from e
        except BaseException:
            self._leave()
            raise

    def _owner_name(self) -> str:
        return type(self).__name__

    def _pacing_owner(self) -> Any:
        """Whose pacing clock this loop anchors: its own, as its wait_time is bound to it."""
        return self

    def _loop(self) -> None:
        user = self.user
        queue = self._task_queue
        # Where this TaskSet keeps the stock pick (weighted random) and wait (the user's
        # wait_time), the loop does them itself: two and three calls fewer on every turn.
        plain_pick = getattr(self.get_next_task, "__func__", None) is TaskSet.get_next_task
        plain_wait = (
            getattr(self.wait, "__func__", None) is TaskSet.wait
            and getattr(self.wait_time, "__func__", None) is TaskSet.wait_time
        )
        while True:
            user._check_stop()
            try:
                if queue:
                    task = queue.popleft()
                elif plain_pick:
                    tasks = self.tasks
                    task = tasks[int(_random() * len(tasks))]  # random.choice, without its calls
                else:
                    task = self.get_next_task()
                self.execute_task(task)
            except RescheduleTask:
                continue
            except InterruptTaskSet as e:
                if not self._absorbs_interrupt():
                    raise
                if e.reschedule:
                    continue
            except StopUser:
                raise
            except Exception as e:
                user._report_error(e)
            if plain_wait:
                user._sleep_between_tasks(float(user.wait_time()))
            else:
                self.wait()

    def run_one(self) -> None:
        """One iteration without the wait: pick a task and run it (the open model's arrival).

        Control flow as in the loop: RescheduleTask, or an InterruptTaskSet this level
        absorbs, ends the iteration; StopUser propagates; any other error is recorded.
        """
        if not self.tasks and not self._task_queue:
            raise TasksFileError(f"{self._owner_name()} has no tasks: add @task methods or 'tasks = [...]'")
        try:
            task = self._task_queue.popleft() if self._task_queue else self.get_next_task()
            self.execute_task(task)
        except RescheduleTask:
            pass
        except InterruptTaskSet:
            if not self._absorbs_interrupt():
                raise
        except StopUser:
            raise
        except Exception as e:
            self.user._report_error(e)

    def _absorbs_interrupt(self) -> bool:
        """Whether an InterruptTaskSet from a task ends only that task (at the user's level)."""
        return False

    def _leave(self) -> None:
        if not self._on_stop_due:
            return
        self._on_stop_due = False
        try:
            self.on_stop()
        except StopUser:
            raise
        except (InterruptTaskSet, RescheduleTask):
            pass
        except Exception as e:
            self.user._report_error(e)


class DefaultTaskSet(TaskSet):
    """The loop of a User's own tasks: functions get the user, nested TaskSets get it as parent."""

    def __init__(self, user: User) -> None:
        super().__init__(user)
        self.tasks = user.tasks

    def execute_task(self, task: Any) -> None:
        user = self.user
        if isinstance(task, type) and issubclass(task, TaskSet):
            task(user).run()
        elif getattr(task, "__self__", None) is user:
            task()
        else:
            task(user)

    def _owner_name(self) -> str:
        return type(self.user).__name__

    def _pacing_owner(self) -> Any:
        return self.user

    def _absorbs_interrupt(self) -> bool:
        return True
