"""``Runner`` and ``LocalRunner``: the bases a locustfile checks ``environment.runner`` against
(served at Locust's path by ``fastswarm.runners``, which explains why LocalRunner is never made)."""

from __future__ import annotations

from abc import ABC

from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.worker import WorkerRunner


class Runner(ABC):  # noqa: B024 - a virtual base for isinstance checks only
    """Any runner: ``isinstance(environment.runner, Runner)`` is True in every process."""


class LocalRunner(Runner):  # noqa: B024
    """Locust's single-process runner. fastswarm never makes one (see ``fastswarm.runners``)."""


Runner.register(MasterRunner)
Runner.register(WorkerRunner)
