"""Locust's runner API on the master, mixed into MasterRunner: what a tasks file reads there.

``user_count``, ``target_user_count``, ``worker_count``, ``clients`` (Locust's ``WorkerNode``s,
live views of the master's ``WorkerInfo``), ``stats`` (the merged statistics, Locust's
``RequestStats``), ``greenlet`` (ends when the master quits), ``spawning_greenlet`` (ends
when every worker reached its share), ``quit()``, custom messages. Kept apart from
``coordinator.py``, which stays the inbox and the test commands.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import gevent
from gevent.event import Event

from fastswarm.config.settings import Config
from fastswarm.engine.lifetime import Lifetime
from fastswarm.engine.state import RunState
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.custom_messages import CustomHandlers
from fastswarm.ipc.messages import Custom
from fastswarm.ipc.state import WorkerInfo
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.locust_api import RequestStats


class WorkerNode:
    """One worker as Locust's ``runner.clients`` values show it, read live from ``WorkerInfo``."""

    def __init__(self, info: WorkerInfo, heartbeat_interval: float, heartbeat_timeout: float) -> None:
        self._info = info
        self._interval = heartbeat_interval
        self._timeout = heartbeat_timeout

    @property
    def id(self) -> str:
        return self._info.client_id

    @property
    def index(self) -> int:
        return self._info.index

    @property
    def state(self) -> RunState:
        return self._info.state

    @property
    def user_count(self) -> int:
        return self._info.users

    @property
    def user_classes_count(self) -> dict[str, int]:
        """The users per class the master last gave it (Locust: what the worker last reported)."""
        return dict(self._info.share)

    @property
    def cpu_usage(self) -> float:
        return self._info.cpu_percent

    @property
    def heartbeat(self) -> int:
        """Heartbeat intervals left before it is marked missing (Locust counts the same way down)."""
        if not self._info.alive:
            return 0
        left = self._timeout - (time.monotonic() - self._info.last_seen)
        return max(0, math.ceil(left / self._interval)) if self._interval > 0 else 0

    def __repr__(self) -> str:
        return f"WorkerNode(id={self.id!r}, state={self.state.value!r}, user_count={self.user_count})"


class WorkerNodes(dict[str, WorkerNode]):
    """``runner.clients``: by client id, with Locust's lists of the workers in each state."""

    def _in(self, *states: RunState) -> list[WorkerNode]:
        return [node for node in self.values() if node.state in states]

    @property
    def all(self) -> list[WorkerNode]:
        return list(self.values())

    @property
    def ready(self) -> list[WorkerNode]:
        return self._in(RunState.READY)

    @property
    def spawning(self) -> list[WorkerNode]:
        return self._in(RunState.SPAWNING)

    @property
    def running(self) -> list[WorkerNode]:
        return self._in(RunState.RUNNING)

    @property
    def missing(self) -> list[WorkerNode]:
        return self._in(RunState.MISSING)


class MasterRunnerApi:
    """Locust's runner API, for MasterRunner (which provides the attributes declared here)."""

    channel: MasterChannel
    aggregator: Aggregator
    options: Config
    state: RunState
    workers: dict[bytes, WorkerInfo]
    target_users: int
    custom: CustomHandlers
    _changed: Event

    def alive_workers(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def shutdown(self) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def init_runner_api(self) -> None:
        self.lifetime = Lifetime()
        # run.py sets it: quit() from a tasks file ends the run (stop, report, exit) through it
        self.on_quit: Callable[[], None] | None = None
        self._spawning: gevent.Greenlet | None = None
        self.stats = RequestStats(self.aggregator)  # merged from every worker: what the reports show

    @property
    def user_count(self) -> int:
        return sum(w.users for w in self.alive_workers())

    @property
    def target_user_count(self) -> int:
        return self.target_users

    @property
    def worker_count(self) -> int:
        return len(self.alive_workers())

    @property
    def clients(self) -> WorkerNodes:
        """Every worker that joined, lost ones included (state ``missing``), by client id."""
        interval, timeout = self.options.heartbeat_interval, self.options.heartbeat_timeout
        return WorkerNodes((w.client_id, WorkerNode(w, interval, timeout)) for w in self.workers.values())

    @property
    def greenlet(self) -> gevent.Greenlet:
        """Ends when the master quits: ``environment.runner.greenlet.join()`` waits for that."""
        return self.lifetime.greenlet

    @property
    def spawning_greenlet(self) -> gevent.Greenlet | None:
        """Ends when every worker has reached its share of the last start (None before one)."""
        return self._spawning

    def watch_spawning(self) -> None:
        """Called by ``start``: a new ``spawning_greenlet`` for this ramp."""
        if self._spawning is not None:
            self._spawning.kill(block=False)
        self._spawning = gevent.spawn(self._until_spawned)

    def _until_spawned(self) -> None:
        while self.state is RunState.SPAWNING:
            self._changed.clear()
            self._changed.wait(0.2)

    def quit(self) -> None:
        """End the run as Locust's ``runner.quit()``: under the command line the test stops,
        the report is written and the process exits; otherwise the workers are told to exit."""
        if self.on_quit is not None:
            self.on_quit()
        else:
            self.shutdown()

    def register_message(
        self, msg_type: str, listener: Callable[..., None], concurrent: bool = False
    ) -> None:
        """Call ``listener(environment=, msg=)`` when a worker sends ``msg_type`` (``concurrent``:
        in its own greenlet, so a slow handler does not hold up the inbox; Locust's flag)."""
        self.custom.register(msg_type, listener, concurrent)

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        """Send a custom message to one worker (by client_id) or to all."""
        for worker in self.alive_workers():
            if client_id is None or worker.client_id == client_id:
                self.channel.send(worker.identity, Custom(msg_type, data))
