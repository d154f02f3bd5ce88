"""What the master knows of a run and of each worker: ``RunState``, ``WorkerState``,
``WorkerInfo``, ``Refusal``.

Their own module, below ``coordinator.py`` and the helpers it owns, which all use them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class RunState(enum.Enum):
    """Where a test is in its life, as the master sees it."""

    WAITING = "waiting"  # for workers to connect
    READY = "ready"
    SPAWNING = "spawning"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class WorkerState(str, enum.Enum):
    """Where a worker's test is, as its heartbeats say; ``MISSING`` is the master's own word for
    a worker it lost. A ``str`` so that Locust-style ``runner.state == "running"`` holds."""

    READY = "ready"
    SPAWNING = "spawning"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    MISSING = "missing"

    def __str__(self) -> str:
        return self.value


@dataclass
class WorkerInfo:
    """What the master knows of one worker.

    ``identity`` is the ZeroMQ identity of its current connection (a worker that reconnects
    gets a new one); ``worker_id`` names the worker process across connections. ``share`` is
    the user count per class it was last told to run, and ``assigned_test`` the test that was
    in (``MasterRunner.test_generation``); ``next_seq`` the number of the stats report the
    master merges next.
    """

    identity: bytes
    index: int
    pid: int
    hostname: str
    state: WorkerState = WorkerState.READY
    users: int = 0
    cpu_percent: float = 0.0
    loop_lag_ms: float = 0.0
    last_seen: float = 0.0
    alive: bool = True
    spawned: bool = False
    stopped: bool = False
    lost_reason: str = ""  # why the master gave up on it (it died, went silent, ...)
    protocol_errors: int = 0  # its messages dropped as malformed
    worker_id: str = ""
    share: dict[str, int] = field(default_factory=dict)
    assigned_test: int = -1
    next_seq: int = 1
    lost_at: float = 0.0  # time.monotonic() when it was marked lost
    reconnects: int = 0  # Hellos on a new connection (after a partition, or a hang-up)
    rejoins: int = 0  # of those, the ones after it was marked lost
    duplicates: int = 0  # stats reports it sent again that were already merged

    def describe(self) -> str:
        """How log lines name it: ``worker 2 (host box-a, pid 4242)``."""
        return f"worker {self.index} (host {self.hostname}, pid {self.pid})"

    @property
    def client_id(self) -> str:
        return self.worker_id or self.identity.decode(errors="replace")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A worker the master turned away: when (epoch s), who, and why."""

    at: float
    hostname: str
    pid: int
    reason: str
