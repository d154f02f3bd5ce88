"""``fastswarm --list``: the User classes of a tasks file, their tasks and weights."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def _task_name(task: Any) -> str:
    return getattr(task, "__name__", repr(task))


def _describe_tasks(holder: Any, indent: str, lines: list[str], seen: set[int]) -> None:
    tasks = list(getattr(holder, "tasks", None) or [])
    total = len(tasks)
    for task, count in Counter(tasks).items():
        share = f"{100 * count / total:.0f}%" if total else "-"
        lines.append(f"{indent}{_task_name(task)}  weight {count} ({share})")
        if isinstance(task, type) and id(task) not in seen:
            seen.add(id(task))
            _describe_tasks(task, indent + "    ", lines, seen)


def describe_users(user_classes: Sequence[Any]) -> str:
    """One block per user class: weight or fixed count, wait time, then the task tree."""
    lines: list[str] = []
    for cls in user_classes:
        size = f"fixed_count {cls.fixed_count}" if getattr(cls, "fixed_count", 0) else f"weight {cls.weight}"
        host = f", host {cls.host}" if getattr(cls, "host", None) else ""
        lines.append(f"{cls.__name__}  ({size}{host})")
        _describe_tasks(cls, "    ", lines, set())
    return "\n".join(lines)
