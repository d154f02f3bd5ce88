"""The master's side of the protocol: workers, user shares, heartbeats, and the stats inbox.

The inbox (``_receive_loop``) runs for the whole run and nothing a peer sends can end it:
``wire.decode`` has checked every field before ``handle`` sees a message; a message that
fails, comes from an unknown peer before its Hello, or goes the wrong way is dropped,
counted in ``protocol_errors`` and logged (rate-limited, naming the peer); an exception in
a handler (the tasks file's ``register_message`` handlers included) is logged with its
traceback and the next message is taken.

Joins, losses and rejoins, and sharing a test out again when the live workers change, are
``membership.py``'s; the open model's commands are ``open_control.py``'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, assert_never

import gevent
from gevent.event import Event

from fastswarm.engine.distribution import (
    split_across_workers,
    split_rate,
    users_per_class,
    users_per_class_among,
)
from fastswarm.engine.state import RunState
from fastswarm.exception import ProtocolError
from fastswarm.ipc.admission import Door, Fingerprint
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.master_api import MasterRunnerApi
from fastswarm.ipc.membership import Membership
from fastswarm.ipc.messages import (
    Ack,
    Custom,
    CustomMessage,
    Heartbeat,
    Hello,
    Message,
    Quit,
    Rejected,
    ResetStats,
    SetRate,
    Spawn,
    SpawningComplete,
    StartOpen,
    StatsReport,
    Stop,
    Stopped,
    Welcome,
    WorkerError,
)
from fastswarm.ipc.open_control import OpenModelControl
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.ipc.state import WorkerInfo
from fastswarm.ipc.wire import BadMessage
from fastswarm.stats.aggregator import Aggregator
from fastswarm.user.env import Environment

log = logging.getLogger(__name__)


class MasterRunner(MasterRunnerApi, Membership, OpenModelControl):
    """Coordinates the workers; ``environment.runner`` in the master. Generates no load."""

    def __init__(
        self,
        environment: Environment,
        channel: MasterChannel,
        aggregator: Aggregator,
        options: Any,
        fingerprint: Fingerprint | None = None,
    ) -> None:
        """``fingerprint``: what workers must run (None: any tasks file and version)."""
        self.environment = environment
        self.channel = channel
        self.aggregator = aggregator
        self.options = options
        self.state = RunState.WAITING
        self.workers: dict[bytes, WorkerInfo] = {}
        self.target_users = 0
        self.spawn_rate = options.spawn_rate
        self.worker_errors: list[WorkerError] = []
        self.on_worker_lost: Callable[[WorkerInfo, str], None] | None = None
        # (worker, seconds it was away, or None when it reconnected before it was missed)
        self.on_worker_rejoined: Callable[[WorkerInfo, float | None], None] | None = None
        self.test_generation = 0  # counts tests: a worker's reports belong to the one it was given
        self._class_counts: dict[str, int] = {}  # the closed test's users per class, all workers
        self._handlers: dict[str, Callable[..., None]] = {}
        self._greenlets: list[gevent.Greenlet] = []
        self._changed = Event()
        self._expected = options.expect_workers
        self.protocol_errors = 0  # messages dropped as malformed, unexpected or from strangers
        self._peer_log = ThrottledLog(log)
        self.door = Door(fingerprint, bool(getattr(options, "allow_mismatch", False)), self._peer_log)
        self.init_open_model()
        self.init_membership()
        self.init_runner_api()

    # -- lifecycle --
    def start_serving(self) -> None:
        self._greenlets = [gevent.spawn(self._receive_loop), gevent.spawn(self._heartbeat_loop)]

    def alive_workers(self) -> list[WorkerInfo]:
        return [w for w in self.workers.values() if w.alive]

    def _workers_by_index(self) -> list[WorkerInfo]:
        """The live workers in index order, for a start; ProtocolError when there are none."""
        workers = sorted(self.alive_workers(), key=lambda w: w.index)
        if not workers:
            raise ProtocolError("no worker is connected")
        return workers

    def _begin_test(self, host: str | None) -> None:
        """Take ``host`` if given (classes too); unless a test is under way, reset stats, fire test_start."""
        env = self.environment
        env.use_host(host)
        if self.state in (RunState.READY, RunState.STOPPED):
            self.test_generation += 1
            for worker in self.workers.values():
                worker.share = {}
            self.aggregator.reset()
            self.aggregator.start(time.time())
            env.events.test_start.fire(environment=env)

    def wait_for_workers(self, count: int, timeout: float) -> bool:
        """Block until ``count`` workers said hello, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while len(self.alive_workers()) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            self._changed.wait(min(remaining, 0.5))
        if self.state is RunState.WAITING:
            self.state = RunState.READY
        return True

    def start(
        self,
        users: int,
        spawn_rate: float,
        host: str | None = None,
        user_classes: Sequence[Any] | None = None,
    ) -> None:
        """Share ``users`` out among the live workers and ramp to them at ``spawn_rate``/s.

        ``user_classes`` (a load shape's third value) limits the run to those classes; users
        of the others are stopped.
        """
        env = self.environment
        self._workers_by_index()
        self._begin_test(host)
        self.target_users, self.spawn_rate = users, spawn_rate
        self.open_model, self.aggregator.target_rate = False, None
        if user_classes is None:
            self._class_counts = users_per_class(env.user_classes, users)
        else:
            self._class_counts = users_per_class_among(env.user_classes, user_classes, users)
        self._deal(from_zero=True)
        self.watch_spawning()

    def rebalance(self) -> None:
        """Share the running test out again among the live workers (one joined, rejoined or
        was lost): users move at the spawn rate, the open model's rate is split anew."""
        if self.state not in (RunState.SPAWNING, RunState.RUNNING) or not self.alive_workers():
            return
        if self.open_model:
            self.rebalance_open()
        else:
            self._deal(from_zero=False)

    def _deal(self, from_zero: bool) -> None:
        """Send each live worker whose share changed a Spawn with it.

        The spawn rate is split so that every worker's ramp ends together: in proportion to
        each one's users when a test starts (``from_zero``), else to the users each one must
        start or stop, so moving users never goes faster than ``--spawn-rate`` in all.
        """
        workers = sorted(self.alive_workers(), key=lambda w: w.index)
        shares = split_across_workers(self._class_counts, len(workers))
        totals = [sum(share.values()) for share in shares]
        had = [sum(w.share.values()) for w in workers]
        moves = totals if from_zero else [abs(t - h) for t, h in zip(totals, had, strict=True)]
        rates = split_rate(self.spawn_rate, moves)
        for worker, share, rate in zip(workers, shares, rates, strict=True):
            if not from_zero and share == worker.share and worker.assigned_test == self.test_generation:
                continue
            worker.share, worker.assigned_test = share, self.test_generation
            worker.spawned = worker.stopped = False
            self.state = worker.state = RunState.SPAWNING
            rate = rate or self.spawn_rate  # a worker with nothing to change still needs a rate > 0
            self.channel.send(worker.identity, Spawn(share, rate, self.environment.host, self._expected))

    def _resend_share(self, worker: WorkerInfo) -> None:
        """Send a worker that reconnected its part again (its old connection may have lost it)."""
        if self.open_model:
            self.resend_rate(worker)
        elif worker.assigned_test == self.test_generation:
            spawn = Spawn(worker.share, self.spawn_rate, self.environment.host, self._expected)
            self.channel.send(worker.identity, spawn)

    def send_stop(self, force: bool) -> None:
        """Tell every live worker to stop its users (at once when ``force``); does not wait."""
        for worker in self.alive_workers():
            self.channel.send(worker.identity, Stop(force, self.options.stop_timeout))

    def stop(self, force: bool = False, timeout: float | None = None) -> bool:
        """Stop every worker's users; True when all confirmed (their last stats are in)."""
        if self.state in (RunState.READY, RunState.STOPPED, RunState.WAITING):
            return True
        env = self.environment
        if self.state is not RunState.STOPPING:
            env.events.test_stopping.fire(environment=env)
        self.state = RunState.STOPPING
        self.send_stop(force)
        limit = timeout if timeout is not None else self.options.stop_timeout + 10.0
        deadline = time.monotonic() + limit
        while not all(w.stopped for w in self.alive_workers()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("workers did not confirm the stop within %.0f s", limit)
                break
            self._changed.clear()
            self._changed.wait(min(remaining, 0.2))
        confirmed = all(w.stopped for w in self.alive_workers())
        if self.state is RunState.STOPPING:
            self.state = RunState.STOPPED
            env.events.test_stop.fire(environment=env)
        return confirmed

    def reset_stats(self) -> None:
        self.aggregator.reset()
        self.aggregator.start(time.time())
        for worker in self.alive_workers():
            self.channel.send(worker.identity, ResetStats())
        self.environment.events.reset_stats.fire()

    def shutdown(self) -> None:
        """Tell every worker to exit, and stop serving (``quit()`` from a tasks file ends the run)."""
        for worker in self.alive_workers():
            self.channel.send(worker.identity, Quit())
        gevent.killall(self._greenlets, block=True, timeout=2)
        self.lifetime.end()

    # -- inbox --
    def _receive_loop(self) -> None:
        while True:
            try:
                identity, message = self.channel.recv()
            except BadMessage as exc:
                self._drop(exc.identity, str(exc))
                continue
            except Exception:  # noqa: BLE001 - the inbox must outlive any surprise
                self._peer_log.log(logging.ERROR, "recv", "receiving a message failed", exc_info=True)
                gevent.sleep(0.1)
                continue
            self.deliver(identity, message)

    def deliver(self, identity: bytes, message: Message) -> None:
        """Handle one decoded message from ``identity``; whatever a handler raises is logged."""
        worker, current = self.route(identity)
        if worker is not None and not current:
            return  # a connection it left behind: what comes on it is merged or resent already
        if worker is not None:
            worker.last_seen = time.monotonic()
        try:
            self.handle(identity, worker, message)
        except Exception:  # noqa: BLE001 - logged with its traceback; the next message is taken
            name = type(message).__name__
            self._peer_log.log(
                logging.ERROR,
                ("handler", name),
                "handling %s from %s failed; carrying on",
                name,
                self._peer(identity),
                exc_info=True,
            )
        self._changed.set()

    def _drop(self, identity: bytes, reason: str) -> None:
        """Count a message that is dropped, and say so (rate-limited), naming its sender."""
        self.protocol_errors += 1
        worker, _ = self.route(identity)
        if worker is not None:
            worker.protocol_errors += 1
        self._peer_log.log(
            logging.WARNING, identity, "dropped a message from %s: %s", self._peer(identity), reason
        )

    def _peer(self, identity: bytes) -> str:
        return self.door.name(identity, self.route(identity)[0])

    def handle(self, identity: bytes, worker: WorkerInfo | None, message: Message) -> None:
        env = self.environment
        if worker is None and not isinstance(message, Hello):
            self._drop(identity, f"{type(message).__name__} before Hello")
            return
        match message:
            case Hello():
                self._welcome(identity, message)
            case StatsReport():
                assert worker is not None
                self._take_report(identity, worker, message)
            case Heartbeat():
                assert worker is not None
                if not worker.alive:
                    return  # from a lost worker's connection, before it says Hello again
                worker.users, worker.cpu_percent = message.users, message.cpu_percent
                worker.loop_lag_ms = message.loop_lag_ms
                worker.state = RunState(message.state or worker.state)  # wire.py allows only its values
                if worker.state in (RunState.SPAWNING, RunState.RUNNING):  # was the generator the limit?
                    self.aggregator.generator.observe(
                        str(worker.index), message.cpu_percent, message.loop_lag_ms
                    )
                for hook in (env.events.heartbeat, env.events.heartbeat_received):
                    if hook:
                        hook.fire(client_id=worker.client_id, timestamp=time.time())
            case SpawningComplete():
                assert worker is not None
                worker.spawned, worker.users, worker.state = True, message.users, RunState.RUNNING
                if self.state is RunState.SPAWNING and all(w.spawned for w in self.alive_workers()):
                    self.state = RunState.RUNNING
                    env.events.spawning_complete.fire(user_count=self.user_count)
            case Stopped():
                assert worker is not None
                worker.stopped, worker.users, worker.state = True, 0, RunState.STOPPED
            case WorkerError():
                assert worker is not None
                self.worker_errors.append(message)
                log.error("%s: %s: %s", worker.describe(), message.kind, message.message)
            case Custom():
                assert worker is not None
                self._dispatch_custom(worker, message)
            case Quit():  # the worker's tasks file called runner.quit(): it has stopped and is leaving
                assert worker is not None
                self.mark_lost(worker, "it quit (runner.quit() in its tasks file)")
            case Welcome() | Rejected() | Spawn() | Stop() | ResetStats() | StartOpen() | SetRate():
                self._drop(identity, f"{type(message).__name__} goes from master to worker, not back")
            case Ack():
                self._drop(identity, f"{type(message).__name__} goes from master to worker, not back")
            case _:
                assert_never(message)

    def _dispatch_custom(self, worker: WorkerInfo, message: Custom) -> None:
        handler = self._handlers.get(message.type)
        if handler is None:
            key = ("custom", message.type[:40])
            self._peer_log.log(logging.WARNING, key, "no handler for custom message %r", message.type)
            return
        msg = CustomMessage(message.type, message.data, worker.client_id)
        try:
            handler(environment=self.environment, msg=msg)
        except Exception:  # noqa: BLE001 - the tasks file's code: logged, the inbox carries on
            self._peer_log.log(
                logging.ERROR,
                ("custom", message.type[:40]),
                "the handler of custom message %r (from %s) raised; carrying on",
                message.type,
                worker.describe(),
                exc_info=True,
            )

    def _heartbeat_loop(self) -> None:
        interval, timeout = self.options.heartbeat_interval, self.options.heartbeat_timeout
        while True:
            gevent.sleep(interval)
            now = time.monotonic()
            self.aggregator.users = self.user_count
            if self.open_model:
                self.aggregator.target_rate = self.target_rate
            for worker in self.alive_workers():
                if now - worker.last_seen > timeout:
                    self.mark_lost(worker, f"no heartbeat for {timeout:.0f} s")
                elif not self.channel.send(worker.identity, Heartbeat()):
                    self.mark_lost(worker, "disconnected")
