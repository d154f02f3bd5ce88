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
    "Environment": "fastswarm.env",  # with the local runner registered: env.create_local_runner()
    "is_master": "fastswarm.user.env",
    "is_worker": "fastswarm.user.env",
    "EventHook": "fastswarm.user.event",
    "events": "fastswarm.user.event",
    "InterruptTaskSet": "fastswarm.exception",
    "RescheduleTask": "fastswarm.exception",
    "StopUser": "fastswarm.exception",
    "HttpUser": "fastswarm.http.users",
    "FastHttpUser": "fastswarm.http.fast_users",
    "LoadTestShape": "fastswarm.user.shape",
    "MarkovTaskSet": "fastswarm.user.markov_taskset",
    "transition": "fastswarm.user.markov_taskset",
    "transitions": "fastswarm.user.markov_taskset",
    "SequentialTaskSet": "fastswarm.user.sequential_taskset",
    "TaskSet": "fastswarm.user.task",
    "User": "fastswarm.user.users",
    "tag": "fastswarm.user.task",
    "task": "fastswarm.user.task",
    "run_single_user": "fastswarm.engine.single_user",
    "between": "fastswarm.user.wait_time",
    "constant": "fastswarm.user.wait_time",
    "constant_pacing": "fastswarm.user.wait_time",
    "constant_throughput": "fastswarm.user.wait_time",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        from fastswarm.compat.spellings import package_attr  # HttpLocust, Locust: one warning, then cached

        value = package_attr(name)
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from fastswarm.engine.single_user import run_single_user as run_single_user
    from fastswarm.exception import InterruptTaskSet as InterruptTaskSet
    from fastswarm.exception import RescheduleTask as RescheduleTask
    from fastswarm.exception import StopUser as StopUser
    from fastswarm.http.fast_users import FastHttpUser as FastHttpUser
    from fastswarm.http.users import HttpUser as HttpUser
    from fastswarm.user.env import Environment as Environment
    from fastswarm.user.env import is_master as is_master
    from fastswarm.user.env import is_worker as is_worker
    from fastswarm.user.event import EventHook as EventHook
    from fastswarm.user.event import events as events
    from fastswarm.user.markov_taskset import MarkovTaskSet as MarkovTaskSet
    from fastswarm.user.markov_taskset import transition as transition
    from fastswarm.user.markov_taskset import transitions as transitions
    from fastswarm.user.sequential_taskset import SequentialTaskSet as SequentialTaskSet
    from fastswarm.user.shape import LoadTestShape as LoadTestShape
    from fastswarm.user.task import TaskSet as TaskSet
    from fastswarm.user.task import tag as tag
    from fastswarm.user.task import task as task
    from fastswarm.user.users import User as User
    from fastswarm.user.wait_time import between as between
    from fastswarm.user.wait_time import constant as constant
    from fastswarm.user.wait_time import constant_pacing as constant_pacing
    from fastswarm.user.wait_time import constant_throughput as constant_throughput
