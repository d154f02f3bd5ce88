"""``Runner``: the base a locustfile checks ``environment.runner`` against (served at Locust's
path by ``fastswarm.runners``); the master's, the workers' and the local runner count as one."""

from __future__ import annotations

from abc import ABC

from fastswarm.engine.local_runner import LocalRunner
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.worker import WorkerRunner


class Runner(ABC):  # noqa: B024 - a virtual base for isinstance checks only
    """Any runner: ``isinstance(environment.runner, Runner)`` is True in every process."""


Runner.register(MasterRunner)
Runner.register(WorkerRunner)
Runner.register(LocalRunner)
