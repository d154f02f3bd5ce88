"""What the master knows of a run and of each worker: ``RunState`` and ``WorkerInfo``.

Their own module, below ``coordinator.py`` and ``open_control.py``, which both use them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RunState(enum.Enum):
    """Where a test is in its life, as the master sees it."""

    WAITING = "waiting"  # for workers to connect
    READY = "ready"
    SPAWNING = "spawning"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass
class WorkerInfo:
    """What the master knows of one worker."""

    identity: bytes
    index: int
    pid: int
    hostname: str
    state: str = "ready"
    users: int = 0
    cpu_percent: float = 0.0
    loop_lag_ms: float = 0.0
    last_seen: float = 0.0
    alive: bool = True
    spawned: bool = False
    stopped: bool = False

    @property
    def client_id(self) -> str:
        return self.identity.decode(errors="replace")
