"""Every message the master and its workers exchange, one frozen dataclass per type.

The wire format (``wire.py``) sends a message as its TAG and its fields in declaration
order, and checks each field against the type's schema there: a message arrives with
exactly its fields, each of its declared type. Any change to a type's fields bumps
``PROTOCOL_VERSION`` (and its schema in ``wire.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastswarm.config.open_spec import Arrival, OpenSpec
from fastswarm.stats.model import IntervalStats

PROTOCOL_VERSION = 3


@dataclass(frozen=True, slots=True)
class Hello:
    """Worker → master, first message: who I am, which protocol I speak, and what I run.

    ``tasks_sha256`` (hex) of the tasks file's bytes and ``fastswarm_version`` let the master
    refuse a worker that would run other code than its own (unless --allow-mismatch).
    ``worker_id`` names the worker process for its whole life: each connection it makes has
    its own ZeroMQ identity, and a Hello on a new one with a known ``worker_id`` is a rejoin.
    """

    TAG: ClassVar[bytes] = b"hello"
    version: int
    pid: int
    hostname: str
    tasks_sha256: str = ""
    fastswarm_version: str = ""
    worker_id: str = ""


@dataclass(frozen=True, slots=True)
class Welcome:
    """Master → worker: your place in the swarm and the options every worker shares.

    ``heartbeat_interval``/``heartbeat_timeout`` are the master's: the worker beats at that
    interval and, silent for the timeout, knows the master has given its users to others.
    ``rejoined``: the master took this worker back into the test it was in, so the stats
    reports it could not deliver are wanted (else it starts afresh: a new master or test).
    """

    TAG: ClassVar[bytes] = b"welcome"
    worker_index: int
    worker_count: int
    options: dict[str, Any] = field(default_factory=dict)
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 10.0
    rejoined: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """Master → worker: refused (another protocol, tasks file or fastswarm); the worker exits."""

    TAG: ClassVar[bytes] = b"rejected"
    reason: str


@dataclass(frozen=True, slots=True)
class Spawn:
    """Master → worker: run this many users of each class, ramping at ``spawn_rate`` users/s."""

    TAG: ClassVar[bytes] = b"spawn"
    user_counts: dict[str, int]
    spawn_rate: float
    host: str | None
    worker_count: int


@dataclass(frozen=True, slots=True)
class SpawningComplete:
    """Worker → master: the last Spawn's user counts are reached."""

    TAG: ClassVar[bytes] = b"spawned"
    users: int


@dataclass(frozen=True, slots=True)
class Stop:
    """Master → worker: stop all users (gracefully within stop_timeout unless ``force``)."""

    TAG: ClassVar[bytes] = b"stop"
    force: bool = False
    stop_timeout: float = 0.0  # the master's --stop-timeout: remote workers have their own options


@dataclass(frozen=True, slots=True)
class Stopped:
    """Worker → master: users are stopped and the final stats were sent before this."""

    TAG: ClassVar[bytes] = b"stopped"


@dataclass(frozen=True, slots=True)
class Quit:
    """Master → worker: exit the process."""

    TAG: ClassVar[bytes] = b"quit"


@dataclass(frozen=True, slots=True)
class ResetStats:
    """Master → worker: drop what was recorded so far."""

    TAG: ClassVar[bytes] = b"reset"


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Both ways, every heartbeat interval: I am alive. Workers add their load and CPU."""

    TAG: ClassVar[bytes] = b"hb"
    users: int = 0
    cpu_percent: float = 0.0
    state: str = ""
    loop_lag_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Worker → master, every report interval: what the worker recorded since the last one.

    ``seq`` numbers a worker's reports 1, 2, 3... from its join; the master merges each
    number once, in order, and answers ``Ack``: a report resent after a reconnect is never
    counted twice, and one lost with a dropped connection is resent (``ipc/link.py``).
    """

    TAG: ClassVar[bytes] = b"stats"
    interval: IntervalStats
    users: int
    custom: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Ack:
    """Master → worker: every stats report up to ``seq`` is merged (or was a duplicate)."""

    TAG: ClassVar[bytes] = b"ack"
    seq: int


@dataclass(frozen=True, slots=True)
class WorkerError:
    """Worker → master: the worker hit an error it cannot carry on from (traceback as text)."""

    TAG: ClassVar[bytes] = b"error"
    kind: str
    message: str
    traceback: str


@dataclass(frozen=True, slots=True)
class Custom:
    """Either way: a message registered by the tasks file (``runner.register_message``)."""

    TAG: ClassVar[bytes] = b"custom"
    type: str
    data: Any


@dataclass(frozen=True, slots=True)
class StartOpen:
    """Master → worker: start the open model: pace this worker's share of the arrival rate.

    Rates are this worker's share (iterations/s), ramping from ``rate`` to ``rate_end`` over
    ``ramp_s``; ``phase`` (0..1) interleaves the workers' uniform arrivals; ``duration_s``
    (0: none) ends the schedule; ``max_users`` caps this worker's user pool.
    """

    TAG: ClassVar[bytes] = b"open"
    rate: float
    rate_end: float
    ramp_s: float
    arrival: str
    max_users: int
    phase: float
    duration_s: float
    host: str | None

    def spec(self) -> OpenSpec:
        """This worker's share as the engine takes it (``duration_s`` 0 on the wire: no end)."""
        arrival, duration = Arrival(self.arrival), self.duration_s or None
        return OpenSpec(self.rate, self.rate_end, self.ramp_s, arrival, self.max_users, duration)


@dataclass(frozen=True, slots=True)
class SetRate:
    """Master → worker: from now on pace ``rate`` iterations/s (this worker's share), ramping
    to ``rate_end`` over ``ramp_s`` (the rest of a ramp, when workers are rebalanced mid-ramp)."""

    TAG: ClassVar[bytes] = b"rate"
    rate: float
    rate_end: float | None = None
    ramp_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CustomMessage:
    """What a ``register_message`` handler receives as ``msg`` (Locust's shape); never on the wire."""

    type: str
    data: Any
    node_id: str


Message = (
    Hello
    | Welcome
    | Rejected
    | Spawn
    | SpawningComplete
    | Stop
    | Stopped
    | Quit
    | ResetStats
    | Heartbeat
    | StatsReport
    | Ack
    | WorkerError
    | Custom
    | StartOpen
    | SetRate
)

MESSAGE_TYPES: tuple[type, ...] = (
    Hello,
    Welcome,
    Rejected,
    Spawn,
    SpawningComplete,
    Stop,
    Stopped,
    Quit,
    ResetStats,
    Heartbeat,
    StatsReport,
    Ack,
    WorkerError,
    Custom,
    StartOpen,
    SetRate,
)
