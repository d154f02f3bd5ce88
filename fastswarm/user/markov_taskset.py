"""``MarkovTaskSet``: tasks along a weighted state machine (Locust 2.4x's ``locust.user.markov_taskset``).

Each task names where the user may go next with ``@transition("name", weight)`` (stack them)
or ``@transitions({"a": 2, "b": 1})`` / ``@transitions(["a", ("b", 3)])``. The first such task
in the class body is where every user starts; after running a task the user moves to one of
its transitions, picked by weight. The chain is checked when the class is created, so a typo
is one line and exit 2 before any load is sent: every target must exist and have transitions
of its own, tags are refused (filtering would break the chain), and tasks no path reaches are
named in a warning.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from fastswarm.exception import TasksFileError
from fastswarm.user.task import TaskSet
from fastswarm.user.task_collection import TAGS_ATTR, check_weight

if TYPE_CHECKING:
    from fastswarm.user.protocols import UserLike

logger = logging.getLogger(__name__)

TRANSITIONS_ATTR = "transitions"
F = TypeVar("F", bound=Callable[..., Any])


class NoMarkovTasksError(TasksFileError):
    """A MarkovTaskSet with no ``@transition`` tasks."""


class InvalidTransitionError(TasksFileError):
    """A transition to a name the class does not have."""


class NonMarkovTaskTransitionError(TasksFileError):
    """A transition to a task that has no transitions of its own (the chain would dead-end)."""


class MarkovTaskTagError(TasksFileError):
    """``@tag`` on a Markov task: filtering by tag could cut the chain."""


def _own_transitions(fn: Any) -> dict[str, int]:
    table = fn.__dict__.setdefault(TRANSITIONS_ATTR, {})
    if not isinstance(table, dict):
        raise TasksFileError(f"{fn.__qualname__}.transitions must be a dict, got {type(table).__name__}")
    return table


def transition(func_name: str, weight: int = 1) -> Callable[[F], F]:
    """Let the user go from the decorated task to ``func_name`` with relative ``weight``."""
    if not isinstance(func_name, str):
        raise TasksFileError(f"@transition needs a task name (a string), got {func_name!r}")
    check_weight(weight, f"@transition({func_name!r})")

    def decorator(fn: F) -> F:
        _own_transitions(fn)[func_name] = weight
        return fn

    return decorator


def transitions(weights: Mapping[str, int] | Iterable[str | tuple[str, int]]) -> Callable[[F], F]:
    """Several transitions at once: ``{"a": 2, "b": 1}`` or ``["a", ("b", 3)]`` (weight 1 by default)."""
    pairs = list(weights.items()) if isinstance(weights, Mapping) else [
        item if isinstance(item, tuple) else (item, 1) for item in weights
    ]
    for name, weight in pairs:
        if not isinstance(name, str):
            raise TasksFileError(f"@transitions needs task names (strings), got {name!r}")
        check_weight(weight, f"@transitions({name!r})")

    def decorator(fn: F) -> F:
        _own_transitions(fn).update(pairs)
        return fn

    return decorator


def _weighted(table: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(name for name, weight in table.items() for _ in range(weight))


def _check_chain(cls: type, chain: dict[str, Any]) -> None:
    where = cls.__name__
    if not chain:
        raise NoMarkovTasksError(f"{where}: a MarkovTaskSet needs tasks with @transition or @transitions")
    for name, fn in chain.items():
        if name == "run":
            raise TasksFileError(f"{where}.run: run() belongs to the TaskSet and cannot be a Markov task")
        if TAGS_ATTR in fn.__dict__:
            raise MarkovTaskTagError(f"{where}.{name}: no @tag on Markov tasks (it could cut the chain)")
        for target in fn.__dict__[TRANSITIONS_ATTR]:
            if target not in cls.__dict__:
                raise InvalidTransitionError(f"{where}.{name}: transition to {target!r}, which {where} lacks")
            if target not in chain:
                raise NonMarkovTaskTransitionError(
                    f"{where}.{name}: transition to {target!r}, which has no transitions of its own"
                )
        if not _weighted(fn.__dict__[TRANSITIONS_ATTR]):
            raise InvalidTransitionError(f"{where}.{name}: every transition has weight 0")
    reached, todo = set(), [next(iter(chain))]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(chain[name].__dict__[TRANSITIONS_ATTR])
    unreachable = sorted(set(chain) - reached)
    if unreachable:
        logger.warning("%s: no transition leads to %s", where, ", ".join(unreachable))


class MarkovTaskSet(TaskSet):
    """Runs its tasks along a weighted chain of ``@transition``s, starting from the first one."""

    abstract = True
    """True only where a class sets it: an abstract MarkovTaskSet is not checked for a chain."""
    _markov_start: str = ""
    _markov_next: dict[str, tuple[str, ...]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        cls.abstract = False
        chain = {
            name: value
            for name, value in cls.__dict__.items()
            if callable(value) and TRANSITIONS_ATTR in getattr(value, "__dict__", {})
        }
        _check_chain(cls, chain)
        cls._markov_start = next(iter(chain))
        cls._markov_next = {name: _weighted(fn.__dict__[TRANSITIONS_ATTR]) for name, fn in chain.items()}
        cls.tasks = list(chain.values())

    def __init__(self, parent: UserLike | TaskSet) -> None:
        super().__init__(parent)
        self._markov_current = self._markov_start

    def get_next_task(self) -> Any:
        """The task of the current state; the state then moves along one weighted transition."""
        name = self._markov_current
        self._markov_current = random.choice(self._markov_next[name])
        return getattr(self, name)
