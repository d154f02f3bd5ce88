"""``fastswarm.runners``: the runner classes a locustfile checks ``environment.runner`` against.

Locust code writes ``isinstance(environment.runner, MasterRunner)`` to act only in the
master; the same check works here because these are the real classes: the master's
``environment.runner`` is a ``MasterRunner``, each worker's a ``WorkerRunner``.

``LocalRunner`` exists so such files import, but nothing is ever one: fastswarm has no
single-process mode, a plain run is a master with one worker. So the common Locust idiom
``if not isinstance(environment.runner, MasterRunner):`` (meaning "where users run") holds in
the workers, as it should. ``Runner`` is a base that both real runners count as.
Prefer ``environment.role`` or ``fastswarm.is_master()`` in new files.
"""

from __future__ import annotations

from fastswarm.ipc.coordinator import MasterRunner as MasterRunner
from fastswarm.ipc.runner_bases import LocalRunner as LocalRunner
from fastswarm.ipc.runner_bases import Runner as Runner
from fastswarm.ipc.worker import WorkerRunner as WorkerRunner

__all__ = ["LocalRunner", "MasterRunner", "Runner", "WorkerRunner"]
