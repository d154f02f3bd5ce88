"""Import a tasks file once, and find the User classes (and load shape) it defines.

Errors in the file reach the user as one line naming file:line, never as a traceback
through fastswarm's own code.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from fastswarm.exception import TasksFileError
from fastswarm.user.task_collection import filter_tasks_by_tags
from fastswarm.user.users import User

DEFAULT_FILES = ("tasks.py", "locustfile.py")


@dataclass(frozen=True)
class TasksFile:
    """What a tasks file gave us."""

    path: Path
    module: ModuleType
    user_classes: tuple[type[User], ...]
    shape_class: type | None


def resolve_path(given: str | None) -> Path:
    """The tasks file to load: the one named, else tasks.py, else locustfile.py."""
    candidates = [given] if given else list(DEFAULT_FILES)
    for name in candidates:
        path = Path(name)
        if path.is_dir():
            raise TasksFileError(f"{name}: is a directory, not a tasks file")
        if path.suffix != ".py" and not path.exists() and Path(name + ".py").is_file():
            path = Path(name + ".py")
        if path.is_file():
            return path.resolve()
    if given:
        raise TasksFileError(f"tasks file not found: {given}")
    raise TasksFileError("no tasks file given and neither tasks.py nor locustfile.py is here (use -f FILE)")


def load(given: str | None, class_names: tuple[str, ...] = ()) -> TasksFile:
    """Import the tasks file and pick its runnable User classes."""
    path = resolve_path(given)
    module = _import(path)
    users = [obj for obj in vars(module).values() if _is_runnable_user(obj)]
    if not users:
        from fastswarm.http.pytest_users import users_from_test_functions

        users = users_from_test_functions(module)
    if class_names:
        by_name = {cls.__name__: cls for cls in users}
        missing = [name for name in class_names if name not in by_name]
        if missing:
            known = ", ".join(sorted(by_name)) or "none"
            raise TasksFileError(f"{path.name}: no User class named {', '.join(missing)} (found: {known})")
        users = [by_name[name] for name in class_names]
    if not users:
        raise TasksFileError(
            f"{path.name}: no User class found (define a subclass of User or HttpUser, or test_* functions)"
        )
    return TasksFile(path, module, tuple(users), _find_shape(module))


def select_users(tasks: TasksFile, class_names: tuple[str, ...]) -> TasksFile:
    """Keep only the named User classes (the command line's words left after custom options)."""
    by_name = {cls.__name__: cls for cls in tasks.user_classes}
    missing = [name for name in class_names if name not in by_name]
    if missing:
        known = ", ".join(sorted(by_name)) or "none"
        raise TasksFileError(f"{tasks.path.name}: no User class named {', '.join(missing)} (found: {known})")
    return replace(tasks, user_classes=tuple(by_name[name] for name in class_names))


def _import(path: Path) -> ModuleType:
    module_name = "fastswarm_tasks_" + path.stem
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise TasksFileError(f"{path.name}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = f"{Path(exc.filename or path).name}:{exc.lineno}"
        raise TasksFileError(f"{where}: SyntaxError: {exc.msg}") from None
    except SystemExit as exc:
        raise TasksFileError(f"{path.name}: called exit({exc.code}) while being imported") from None
    except Exception as exc:  # noqa: BLE001 - any error in user code becomes one line
        raise TasksFileError(f"{_where(exc, path)}: {type(exc).__name__}: {exc}") from None
    return module


def _where(exc: BaseException, path: Path) -> str:
    """file:line of the deepest frame of the error inside the user's own files."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if Path(frame.filename).resolve() == path:
            return f"{path.name}:{frame.lineno}"
    if frames:
        last = frames[-1]
        return f"{Path(last.filename).name}:{last.lineno}"
    return path.name


def _is_runnable_user(obj: Any) -> bool:
    return (
        inspect.isclass(obj)
        and issubclass(obj, User)
        and not obj.__dict__.get("abstract", False)
        and not obj.__module__.startswith("fastswarm.")
    )


def _find_shape(module: ModuleType) -> type | None:
    try:
        from fastswarm.user.shape import LoadTestShape
    except ImportError:
        return None
    shapes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, LoadTestShape)
        and obj is not LoadTestShape
        and not obj.__dict__.get("abstract", False)
    ]
    if len(shapes) > 1:
        raise TasksFileError(
            f"{module.__name__}: more than one LoadTestShape ({', '.join(s.__name__ for s in shapes)})"
        )
    return shapes[0] if shapes else None


def select_tags(tasks: TasksFile, tags: tuple[str, ...], exclude_tags: tuple[str, ...]) -> TasksFile:
    """Keep the tasks that -T selects and -E does not; users left with no task are dropped."""
    kept = filter_tasks_by_tags(list(tasks.user_classes), set(tags) or None, set(exclude_tags) or None)
    if not kept:
        raise TasksFileError(f"{tasks.path.name}: no task left after filtering by tags")
    return replace(tasks, user_classes=tuple(kept))
