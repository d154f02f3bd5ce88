"""Locust's runner API in a worker, mixed into WorkerRunner: what a tasks file reads there.

``user_count``, ``target_user_count`` (this worker's share), ``worker_index``, ``stats`` (what
this worker recorded since its last report, as Locust's workers), ``greenlet`` (ends when the
worker stops serving), ``spawning_greenlet`` (the ramp to its share), ``quit()``, custom
messages. Kept apart from ``worker.py``, which stays the protocol's worker side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent

from fastswarm.engine.lifetime import Lifetime
from fastswarm.engine.open_model import OpenModelRunner
from fastswarm.engine.runner import UserRunner
from fastswarm.ipc.link import MasterLink
from fastswarm.ipc.messages import Custom
from fastswarm.stats.locust_api import RequestStats
from fastswarm.stats.recorder import Recorder
from fastswarm.user.env import Environment

MessageHandler = Callable[..., None]


class WorkerRunnerApi:
    """Locust's runner API, for WorkerRunner (which provides the attributes declared here)."""

    environment: Environment
    channel: MasterLink
    recorder: Recorder
    users: UserRunner
    open: OpenModelRunner
    _handlers: dict[str, MessageHandler]

    def init_runner_api(self) -> None:
        self.lifetime = Lifetime()
        self.quit_requested = False  # quit() from the tasks file: serve() stops and says so to the master
        self.stats = RequestStats(self.recorder)  # what it recorded since its last report to the master

    @property
    def user_count(self) -> int:
        return self.users.user_count + self.open.user_count

    @property
    def target_user_count(self) -> int:
        """This worker's share of the users (the open model: its pool's users now)."""
        return self.users.target_count or self.open.user_count

    @property
    def worker_index(self) -> int:
        return self.environment.worker_index

    @property
    def greenlet(self) -> gevent.Greenlet:
        """Ends when this worker stops serving (Quit, a lost master, or ``quit()``)."""
        return self.lifetime.greenlet

    @property
    def spawning_greenlet(self) -> gevent.Greenlet | None:
        return self.users.ramp

    def quit(self) -> None:
        """Stop this worker's users, tell the master and exit (0); the master re-deals its users.

        Safe to call from a task: the serve loop does the stopping within a quarter second.
        """
        self.quit_requested = True

    def register_message(self, msg_type: str, listener: MessageHandler, concurrent: bool = False) -> None:
        """Call ``listener(environment=, msg=)`` when the master sends ``msg_type``.

        ``concurrent=True`` runs it in its own greenlet, so a slow handler does not hold up
        the master's next messages (Locust's flag).
        """
        self._handlers[msg_type] = (lambda **kw: gevent.spawn(listener, **kw)) if concurrent else listener

    def send_message(self, msg_type: str, data: Any = None) -> None:
        """Send a custom message to the master."""
        self.channel.send(Custom(msg_type, data))
