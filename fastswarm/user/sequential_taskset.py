"""``SequentialTaskSet``: Locust's ``locust.user.sequential_taskset``."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import cycle
from typing import TYPE_CHECKING, Any

from fastswarm.user.task import TaskSet

if TYPE_CHECKING:
    from fastswarm.user.protocols import UserLike as User


class SequentialTaskSet(TaskSet):
    """A TaskSet that runs its tasks in declaration order, over and over (weights repeat a task)."""

    def __init__(self, parent: User | TaskSet) -> None:
        super().__init__(parent)
        self._task_cycle: Iterator[Any] = cycle(self.tasks)

    def get_next_task(self) -> Any:
        """The next task in declaration order, wrapping around at the end."""
        return next(self._task_cycle)
