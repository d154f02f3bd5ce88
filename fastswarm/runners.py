"""``fastswarm.runners``: the runner classes and states a locustfile uses, at Locust's path.

Locust code writes ``isinstance(environment.runner, MasterRunner)`` to act only in the
master; the same check works here because these are the real classes: the master's
``environment.runner`` is a ``MasterRunner``, each worker's a ``WorkerRunner``, and a
script's ``environment.create_local_runner()`` makes a ``LocalRunner`` (the command line
never does: a plain run is a master with one worker). So the common Locust idiom
``if not isinstance(environment.runner, MasterRunner):`` (meaning "where users run") holds in
the workers, as it should. ``Runner`` is a base that all three count as.
``runner.state`` equals these ``STATE_*`` values (Locust's strings: ``STATE_RUNNING ==
"running"``). Prefer ``environment.role`` or ``fastswarm.is_master()`` in new files.
"""

from __future__ import annotations

from fastswarm.engine.local_runner import LocalRunner as LocalRunner
from fastswarm.engine.state import STATE_CLEANUP as STATE_CLEANUP
from fastswarm.engine.state import STATE_INIT as STATE_INIT
from fastswarm.engine.state import STATE_MISSING as STATE_MISSING
from fastswarm.engine.state import STATE_RUNNING as STATE_RUNNING
from fastswarm.engine.state import STATE_SPAWNING as STATE_SPAWNING
from fastswarm.engine.state import STATE_STOPPED as STATE_STOPPED
from fastswarm.engine.state import STATE_STOPPING as STATE_STOPPING
from fastswarm.ipc.coordinator import MasterRunner as MasterRunner
from fastswarm.ipc.master_api import WorkerNode as WorkerNode
from fastswarm.ipc.runner_bases import Runner as Runner
from fastswarm.ipc.worker import WorkerRunner as WorkerRunner

__all__ = [
    "STATE_CLEANUP",
    "STATE_INIT",
    "STATE_MISSING",
    "STATE_RUNNING",
    "STATE_SPAWNING",
    "STATE_STOPPED",
    "STATE_STOPPING",
    "LocalRunner",
    "MasterRunner",
    "Runner",
    "WorkerNode",
    "WorkerRunner",
]
