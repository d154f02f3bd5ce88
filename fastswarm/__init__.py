"""fastswarm: Locust-style tasks files, run on every core, with exact HDR statistics.

This module only names the public API. Each name is imported on first use, so
``import fastswarm`` loads no networking code: the command line can patch gevent
before ssl, socket or urllib3 are imported by anything.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC: dict[str, str] = {
    "Environment": "fastswarm.env",
    "is_master": "fastswarm.env",
    "is_worker": "fastswarm.env",
    "EventHook": "fastswarm.event",
    "events": "fastswarm.event",
    "InterruptTaskSet": "fastswarm.exceptions",
    "RescheduleTask": "fastswarm.exceptions",
    "StopUser": "fastswarm.exceptions",
    "HttpUser": "fastswarm.http.users",
    "FastHttpUser": "fastswarm.http.fast_users",
    "LoadTestShape": "fastswarm.shape",
    "SequentialTaskSet": "fastswarm.taskset",
    "TaskSet": "fastswarm.taskset",
    "User": "fastswarm.user",
    "tag": "fastswarm.tasks",
    "task": "fastswarm.tasks",
    "run_single_user": "fastswarm.debug",
    "between": "fastswarm.wait_time",
    "constant": "fastswarm.wait_time",
    "constant_pacing": "fastswarm.wait_time",
    "constant_throughput": "fastswarm.wait_time",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        from fastswarm.compat import package_attr  # HttpLocust, Locust: one warning, then cached

        value = package_attr(name)
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from fastswarm.debug import run_single_user as run_single_user
    from fastswarm.env import Environment as Environment
    from fastswarm.env import is_master as is_master
    from fastswarm.env import is_worker as is_worker
    from fastswarm.event import EventHook as EventHook
    from fastswarm.event import events as events
    from fastswarm.exceptions import InterruptTaskSet as InterruptTaskSet
    from fastswarm.exceptions import RescheduleTask as RescheduleTask
    from fastswarm.exceptions import StopUser as StopUser
    from fastswarm.http.fast_users import FastHttpUser as FastHttpUser
    from fastswarm.http.users import HttpUser as HttpUser
    from fastswarm.shape import LoadTestShape as LoadTestShape
    from fastswarm.tasks import tag as tag
    from fastswarm.tasks import task as task
    from fastswarm.taskset import SequentialTaskSet as SequentialTaskSet
    from fastswarm.taskset import TaskSet as TaskSet
    from fastswarm.user import User as User
    from fastswarm.wait_time import between as between
    from fastswarm.wait_time import constant as constant
    from fastswarm.wait_time import constant_pacing as constant_pacing
    from fastswarm.wait_time import constant_throughput as constant_throughput
