"""The master's side of the protocol: workers, user shares, heartbeats, and the stats inbox.

The inbox (``_receive_loop``) runs for the whole run and nothing a peer sends can end it:
``wire.decode`` has checked every field before ``handle`` sees a message; a message that
fails, comes from an unknown peer before its Hello, or goes the wrong way is dropped,
counted in ``protocol_errors`` and logged (rate-limited, naming the peer); an exception in
a handler (the tasks file's ``register_message`` handlers included) is logged with its
traceback and the next message is taken.

Joins, losses and rejoins, and sharing a test out again when the live workers change, are
``membership.py``'s; the open model's plan and each worker's share of it are ``open_planner.py``'s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, assert_never

import gevent
from gevent.event import Event

from fastswarm.config.open_spec import OpenSpec
from fastswarm.config.settings import Config
from fastswarm.engine.distribution import users_per_class, users_per_class_among
from fastswarm.engine.state import RunState, under_way
from fastswarm.exception import ProtocolError
from fastswarm.ipc.admission import Door, Fingerprint
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.custom_messages import CustomHandlers
from fastswarm.ipc.master_api import MasterRunnerApi
from fastswarm.ipc.membership import Membership
from fastswarm.ipc.messages import (
    Ack,
    Custom,
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
from fastswarm.ipc.open_planner import OpenPlanner
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.ipc.state import WorkerInfo
from fastswarm.ipc.user_dealer import UserDealer
from fastswarm.ipc.wire import BadMessage
from fastswarm.stats.aggregator import Aggregator
from fastswarm.user.env import Environment

log = logging.getLogger(__name__)


class MasterRunner(MasterRunnerApi, Membership):
    """Coordinates the workers; ``environment.runner`` in the master. Generates no load."""

    def __init__(
        self,
        environment: Environment,
        channel: MasterChannel,
        aggregator: Aggregator,
        options: Config,
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
        self.worker_errors: list[WorkerError] = []
        self.on_worker_lost: Callable[[WorkerInfo, str], None] | None = None
        # (worker, seconds it was away, or None when it reconnected before it was missed)
        self.on_worker_rejoined: Callable[[WorkerInfo, float | None], None] | None = None
        self.test_generation = 0  # counts tests: a worker's reports belong to the one it was given
        self._greenlets: list[gevent.Greenlet] = []
        self._changed = Event()
        self._expected = options.expect_workers
        self.protocol_errors = 0  # messages dropped as malformed, unexpected or from strangers
        self._peer_log = ThrottledLog(log)
        self.door = Door(fingerprint, options.allow_mismatch, self._peer_log)
        self.custom = CustomHandlers(environment, self._peer_log)
        self.dealer = UserDealer(channel.send, self._expected, options.spawn_rate)  # the closed model
        self.open = OpenPlanner(channel.send)  # the open model
        self.init_membership()
        self.init_runner_api()

    @property
    def spawn_rate(self) -> float:
        """The closed model's users started (or stopped) per second, in all."""
        return self.dealer.spawn_rate

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
        self.target_users = users
        self.open.end()
        self.aggregator.target_rate = None
        if user_classes is None:
            counts = users_per_class(env.user_classes, users)
        else:
            counts = users_per_class_among(env.user_classes, user_classes, users)
        self.dealer.plan(counts, spawn_rate)
        self._deal(from_zero=True)
        self.watch_spawning()

    def start_open(self, spec: OpenSpec, host: str | None = None) -> None:
        """Start an open-model test: ``spec.rate`` iterations/s in all, each of the N live
        workers pacing rate/N with its share of ``spec.max_users`` (``open_planner.py``)."""
        workers = self._workers_by_index()
        self._begin_test(host)
        self.target_users, self.state = 0, RunState.SPAWNING
        self.open.start(spec, workers, self.test_generation, self.environment.host)
        self.aggregator.target_rate = spec.rate

    def set_rate(self, rate: float) -> None:
        """Change the total arrival rate now (split among the live workers); starts an
        open-model test (--arrival, --max-users) when none is running."""
        if not self.open.active or not under_way(self.state):
            self.start_open(self.options.flat_open_spec(rate))
            return
        self.open.set_rate(rate)
        self.aggregator.target_rate = rate
        self.rebalance()  # a worker that has not started pacing yet starts now

    @property
    def target_rate(self) -> float | None:
        """The total arrival rate asked for now (iterations/s), None outside the open model."""
        return self.open.target_rate()

    def rebalance(self) -> None:
        """Share the running test out again among the live workers (one joined, rejoined or
        was lost): users move at the spawn rate, the open model's rate is split anew."""
        if not under_way(self.state) or not self.alive_workers():
            return
        if self.open.active:
            self.open.rebalance(self.alive_workers(), self.test_generation, self.environment.host)
        else:
            self._deal(from_zero=False)

    def _deal(self, from_zero: bool) -> None:
        if self.dealer.deal(self.alive_workers(), self.test_generation, self.environment.host, from_zero):
            self.state = RunState.SPAWNING

    def _resend_share(self, worker: WorkerInfo) -> None:
        """Send a worker that reconnected its part again (its old connection may have lost it)."""
        if self.open.active:
            self.open.resend(worker, self.worker_count, self.test_generation)
        else:
            self.dealer.resend(worker, self.test_generation, self.environment.host)

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
                if message.state:  # checked by wire.decode: one of WORKER_STATES
                    worker.state = RunState(message.state)
                # the self-check: was the generator the limit?
                if under_way(message.state):
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
                self.custom.dispatch(message, worker.client_id, worker.describe())
            case Quit():  # the worker's tasks file called runner.quit(): it has stopped and is leaving
                assert worker is not None
                self.mark_lost(worker, "it quit (runner.quit() in its tasks file)")
            case Welcome() | Rejected() | Spawn() | Stop() | ResetStats() | StartOpen() | SetRate():
                self._drop(identity, f"{type(message).__name__} goes from master to worker, not back")
            case Ack():
                self._drop(identity, f"{type(message).__name__} goes from master to worker, not back")
            case _:
                assert_never(message)

    def _heartbeat_loop(self) -> None:
        interval, timeout = self.options.heartbeat_interval, self.options.heartbeat_timeout
        while True:
            gevent.sleep(interval)
            now = time.monotonic()
            self.aggregator.users = self.user_count
            if self.open.active:
                self.aggregator.target_rate = self.target_rate
            for worker in self.alive_workers():
                if now - worker.last_seen > timeout:
                    self.mark_lost(worker, f"no heartbeat for {timeout:.0f} s")
                elif not self.channel.send(worker.identity, Heartbeat()):
                    self.mark_lost(worker, "disconnected")
