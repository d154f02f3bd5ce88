"""What the master knows of each worker: ``WorkerInfo``, ``Refusal``.

Their own module, below ``coordinator.py`` and the helpers it owns, which all use them. A
run's state, the master's and each worker's, is ``engine/state.py``'s ``RunState``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastswarm.engine.state import RunState


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
    state: RunState = RunState.READY
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
