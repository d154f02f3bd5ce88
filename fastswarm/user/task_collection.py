"""Collecting a class's tasks (what ``@task``/``@tag`` marked, the ``tasks`` attribute), and tag filtering.

A class's task list is built once, when the class is created, in Locust's form: a flat list
in which a task of weight *w* appears *w* times, so that picking a task is one
``random.choice``. The list keeps declaration order (base classes' tasks first, then the
class body top to bottom, the ``tasks`` attribute where it is written), which is what a
``SequentialTaskSet`` runs in.

The older spellings (``task_set = X``, ``min_wait``/``max_wait`` in ms) are translated here
as classes are created, with one DeprecationWarning per class that uses them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from fastswarm.exception import TasksFileError
from fastswarm.user.wait_time import between

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

WEIGHT_ATTR = "locust_task_weight"
TAGS_ATTR = "locust_tag_set"


def check_weight(weight: object, where: str) -> int:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise TasksFileError(f"{where}: a task weight must be a whole number >= 0, got {weight!r}")
    return weight


def _own_weight(value: object) -> int | None:
    """The @task weight set on ``value`` itself (not inherited by a subclass)."""
    own = getattr(value, "__dict__", None)  # a class's is a mappingproxy: @task on a nested TaskSet
    if not isinstance(own, Mapping) or WEIGHT_ATTR not in own:
        return None
    return check_weight(own[WEIGHT_ATTR], getattr(value, "__qualname__", repr(value)))


def _expand(declared: object, owner: str) -> list[Any]:
    """The ``tasks`` attribute as written (list, with (task, weight) pairs, or dict) → flat list."""
    if declared is None:
        return []
    if isinstance(declared, dict):
        pairs: Iterable[Any] = declared.items()
    elif isinstance(declared, (list, tuple)):
        pairs = declared
    else:
        raise TasksFileError(f"{owner}.tasks must be a list or a dict, got {type(declared).__name__}")
    flat: list[Any] = []
    for item in pairs:
        fn, weight = item if isinstance(item, tuple) else (item, 1)
        if not callable(fn):
            raise TasksFileError(f"{owner}.tasks: {fn!r} is not a function or TaskSet class")
        flat.extend([fn] * check_weight(weight, f"{owner}.tasks"))
    return flat


def collect_tasks(cls: type, declared: object) -> list[Any]:
    """The flat task list of a class being created: its bases', then its own in declaration order."""
    found: list[Any] = []
    for base in cls.__bases__:
        found.extend(getattr(base, "tasks", None) or ())
    for key, value in cls.__dict__.items():
        if key == "tasks":
            found.extend(_expand(declared, cls.__name__))
            continue
        weight = _own_weight(value)
        if weight is not None:
            found.extend([value] * weight)
    if "tasks" not in cls.__dict__ and declared is not None:
        found.extend(_expand(declared, cls.__name__))
    return found


def apply_deprecated_spellings(cls: type) -> object:
    """Translate ``task_set`` and ``min_wait``/``max_wait``; returns the ``tasks`` as declared.

    Each spelling warns once for the class that writes it; subclasses inherit the result
    silently.
    """
    own = cls.__dict__
    declared = own.get("tasks")
    if "task_set" in own:
        warnings.warn(
            f"{cls.__name__}: 'task_set = X' is deprecated; write 'tasks = [X]'",
            DeprecationWarning,
            stacklevel=3,
        )
        if "tasks" not in own:
            declared = [own["task_set"]]
    if "min_wait" in own or "max_wait" in own:
        warnings.warn(
            f"{cls.__name__}: 'min_wait'/'max_wait' (ms) are deprecated; "
            "write 'wait_time = between(min_s, max_s)'",
            DeprecationWarning,
            stacklevel=3,
        )
        # One given alone stands for both, as a constant wait.
        low_ms = getattr(cls, "min_wait", None)
        high_ms = getattr(cls, "max_wait", None)
        low = float(low_ms if low_ms is not None else high_ms)  # type: ignore[arg-type]
        high = float(high_ms if high_ms is not None else low)
        if "wait_time" not in own:
            cls.wait_time = between(low / 1000.0, high / 1000.0)  # type: ignore[attr-defined]
    return declared


def _is_task_holder(value: object) -> bool:
    return isinstance(value, type) and isinstance(getattr(value, "tasks", None), list)


def filter_tasks_by_tags(
    user_classes: Iterable[type],
    tags: Iterable[str] | None = None,
    exclude_tags: Iterable[str] | None = None,
) -> list[type]:
    """Keep only the tasks that ``tags`` selects and ``exclude_tags`` does not; once, at startup.

    Locust's rule: with ``tags``, a task runs only if it has one of them; with
    ``exclude_tags``, only if it has none of them. A TaskSet is filtered recursively and
    kept while any of its tasks remains. The classes' ``tasks`` lists are replaced in place
    (so call this once per process, before users are built); returns the user classes that
    still have tasks.
    """
    include = None if tags is None else frozenset(tags)
    exclude = None if exclude_tags is None else frozenset(exclude_tags)
    classes = list(user_classes)
    if include is None and exclude is None:
        return [c for c in classes if getattr(c, "tasks", None)]
    checked: dict[Any, bool] = {}

    def filter_holder(holder: type) -> None:
        kept: list[Any] = []
        for t in holder.tasks:  # type: ignore[attr-defined]
            if t not in checked:
                if _is_task_holder(t):
                    checked[t] = True  # provisional: guards against a TaskSet that lists itself
                    filter_holder(t)
                    passing = bool(t.tasks)
                else:
                    own: set[str] = getattr(t, TAGS_ATTR, set())
                    passing = (include is None or bool(own & include)) and not (exclude and own & exclude)
                checked[t] = passing
            if checked[t]:
                kept.append(t)
        holder.tasks = kept  # type: ignore[attr-defined]
        if not kept:
            logger.warning("%s has no tasks left after tag filtering", holder.__name__)

    for cls in classes:
        filter_holder(cls)
    return [c for c in classes if c.tasks]  # type: ignore[attr-defined]
