"""Who is in the swarm: joins, late joins, losses and rejoins; mixed into MasterRunner.

Kept apart from ``coordinator.py`` so that file stays the inbox and the test commands.

- **Join.** A Hello that passes the door (``admission.py``) gets the lowest free index.
  ``--expect-workers N`` is how many the master waits for before a test starts, not a cap:
  a worker that joins while a test runs is welcomed and the users (or the rate) are shared
  out again so it gets its part (``rebalance``).
- **Loss.** A worker that dies, hangs up, or is silent past ``--heartbeat-timeout`` is marked
  lost and its part is shared out among the live ones, ramping at the spawn rate.
- **Rejoin.** A worker names itself by ``Hello.worker_id`` on every connection. A Hello on a
  new connection with a known id is the same worker coming back: it keeps its slot (its
  index, unless another worker took it meanwhile), its route moves to the new connection,
  and anything still arriving on an old one is ignored (all of it is either merged already
  or sent again on the new one). If the test it was assigned to is still the master's test,
  ``Welcome.rejoined`` tells it to send the stats reports the master has not acknowledged;
  their numbers (``StatsReport.seq``) make each count once. Otherwise it starts afresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gevent.event import Event

from fastswarm.config.options import shareable_options
from fastswarm.config.settings import Config
from fastswarm.engine.state import RunState, under_way
from fastswarm.ipc.admission import Door
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.messages import Ack, Hello, Rejected, StatsReport, Stop, Welcome
from fastswarm.ipc.state import WorkerInfo
from fastswarm.stats.aggregator import Aggregator
from fastswarm.user.env import Environment

log = logging.getLogger(__name__)

MAX_OLD_ROUTES = 64  # connections a worker left behind that are still recognised as its own


class Membership:
    """The swarm's membership half of MasterRunner (which provides the attributes declared here)."""

    environment: Environment
    channel: MasterChannel
    aggregator: Aggregator
    options: Config
    state: RunState
    door: Door
    workers: dict[bytes, WorkerInfo]  # by the identity of each worker's first connection
    test_generation: int
    on_worker_lost: Callable[[WorkerInfo, str], None] | None
    on_worker_rejoined: Callable[[WorkerInfo, float | None], None] | None
    _changed: Event
    _expected: int

    def alive_workers(self) -> list[WorkerInfo]:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _drop(self, identity: bytes, reason: str) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def rebalance(self) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def _resend_share(self, worker: WorkerInfo) -> None:  # pragma: no cover - MasterRunner's
        raise NotImplementedError

    def init_membership(self) -> None:
        self._routes: dict[bytes, WorkerInfo] = {}  # every connection's identity -> its worker
        self._by_id: dict[str, WorkerInfo] = {}
        self._old_routes: dict[str, list[bytes]] = {}

    def route(self, identity: bytes) -> tuple[WorkerInfo | None, bool]:
        """The worker a message from ``identity`` comes from, and whether that is its current
        connection (False: one it left behind, whose messages are ignored)."""
        worker = self._routes.get(identity)
        return worker, worker is not None and worker.identity == identity

    def _free_index(self) -> int:
        used = {w.index for w in self.alive_workers()}
        return next(i for i in range(len(used) + 1) if i not in used)

    def _running(self) -> bool:
        return under_way(self.state)

    def _welcome(self, identity: bytes, hello: Hello) -> None:
        verdict = self.door.judge(hello)
        if verdict.refuse is not None:
            self.door.refuse(identity, hello, verdict.refuse)
            self.channel.send(identity, Rejected(verdict.refuse))
            return
        worker_id = hello.worker_id or identity.decode(errors="replace")
        known = self._by_id.get(worker_id)
        if known is not None:
            self._rejoin(identity, known)
            return
        index, now = self._free_index(), time.monotonic()
        worker = WorkerInfo(identity, index, hello.pid, hello.hostname, last_seen=now, worker_id=worker_id)
        self.workers[identity] = self._routes[identity] = self._by_id[worker_id] = worker
        if verdict.warning is not None:
            log.warning("%s: %s", worker.describe(), verdict.warning)
        late = self._running()
        # A remote worker joining (or any joining mid-test) is news; the master's own forked
        # workers joining at start-up are not: one INFO line per core would only be noise.
        level = logging.INFO if late or self.options.master else logging.DEBUG
        log.log(level, "%s joined%s", worker.describe(), "; sharing the test out again" if late else "")
        self._send_welcome(worker, rejoined=False)
        if late:
            self.rebalance()

    def _send_welcome(self, worker: WorkerInfo, rejoined: bool) -> None:
        options = self.options
        count = max(self._expected, worker.index + 1)
        welcome = Welcome(
            worker.index,
            count,
            shareable_options(options),
            options.heartbeat_interval,
            options.heartbeat_timeout,
            rejoined,
        )
        self.channel.send(worker.identity, welcome)

    def _rejoin(self, identity: bytes, worker: WorkerInfo) -> None:
        """A known worker's Hello (on a new connection, after a partition or a hang-up)."""
        now = time.monotonic()
        was_alive = worker.alive
        same_test = worker.assigned_test == self.test_generation and self.state not in (
            RunState.WAITING,
            RunState.READY,
        )
        if identity != worker.identity:
            old = self._old_routes.setdefault(worker.worker_id, [])
            old.append(worker.identity)
            if len(old) > MAX_OLD_ROUTES:
                self._routes.pop(old.pop(0), None)
            self._routes[identity] = worker
            worker.identity = identity
            worker.reconnects += 1
        worker.last_seen = now
        away: float | None = None
        if not was_alive:
            away = now - worker.lost_at
            if worker.index in {w.index for w in self.alive_workers()}:
                worker.index = self._free_index()
            worker.alive, worker.state, worker.lost_reason = True, RunState.READY, ""
            worker.rejoins += 1
        if not same_test:
            worker.next_seq, worker.share = 1, {}
        self._send_welcome(worker, rejoined=same_test)
        if away is not None:
            what = "its stats of this test follow" if same_test else "starting afresh"
            log.warning("%s rejoined after %.1f s away (%s)", worker.describe(), away, what)
        else:
            log.info("%s reconnected", worker.describe())
        if self.on_worker_rejoined is not None:
            self.on_worker_rejoined(worker, away)
        if self._running():
            if was_alive and same_test:
                self._resend_share(worker)  # what was sent on its old connection may be lost
            else:
                self.rebalance()
        elif same_test and self.state in (RunState.STOPPING, RunState.STOPPED):
            self.channel.send(worker.identity, Stop(False, self.options.stop_timeout))
        self._changed.set()

    def mark_lost(self, worker: WorkerInfo, reason: str) -> None:
        """A worker died or went silent: say so, and share its part out among the rest."""
        if not worker.alive:
            return
        worker.alive = False
        worker.state = RunState.MISSING
        worker.users = 0
        worker.lost_reason = reason
        worker.lost_at = time.monotonic()
        worker.share = {}
        if self.on_worker_lost is not None:
            self.on_worker_lost(worker, reason)
        else:
            log.warning("%s lost: %s", worker.describe(), reason)
        self.rebalance()
        self._changed.set()

    def _take_report(self, identity: bytes, worker: WorkerInfo, message: StatsReport) -> None:
        """Merge report number ``worker.next_seq``, once; acknowledge whatever came."""
        if message.seq != worker.next_seq:
            if message.seq < worker.next_seq:
                worker.duplicates += 1  # sent again after a reconnect, merged already
            else:
                self._drop(identity, f"stats report {message.seq} before {worker.next_seq}")
            self.channel.send(worker.identity, Ack(worker.next_seq - 1))
            return
        env = self.environment
        if not worker.alive and worker.assigned_test != self.test_generation:
            worker.next_seq += 1  # from a lost worker, of a test that is over: not this test's numbers
            self.channel.send(worker.identity, Ack(worker.next_seq - 1))
            return
        try:
            self.aggregator.add(worker.client_id, message.interval)
        except ValueError as exc:  # a histogram that is not one: nothing was merged
            self._drop(identity, f"stats report: {exc}")
            return
        finally:  # merged, or refused for good: either way not wanted again
            worker.next_seq += 1
            self.channel.send(worker.identity, Ack(worker.next_seq - 1))
        if worker.alive:
            worker.users = message.users
        if message.custom and env.events.worker_report:
            env.events.worker_report.fire(client_id=worker.client_id, data=message.custom)
