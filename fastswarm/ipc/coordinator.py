"""The master's side of the protocol: workers, user shares, heartbeats, and the stats inbox.

The inbox (``_receive_loop``) runs for the whole run and nothing a peer sends can end it:
``wire.decode`` has checked every field before ``handle`` sees a message; a message that
fails, comes from an unknown peer before its Hello, or goes the wrong way is dropped,
counted in ``protocol_errors`` and logged (rate-limited, naming the peer); an exception in
a handler (the tasks file's ``register_message`` handlers included) is logged with its
traceback and the next message is taken.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, assert_never

import gevent
from gevent.event import Event

from fastswarm.config.options import shareable_options
from fastswarm.engine.distribution import (
    split_across_workers,
    split_rate,
    users_per_class,
    users_per_class_among,
)
from fastswarm.exception import ProtocolError
from fastswarm.ipc.admission import Door, Fingerprint
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.messages import (
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
from fastswarm.ipc.state import RunState, WorkerInfo
from fastswarm.ipc.wire import BadMessage
from fastswarm.stats.aggregator import Aggregator
from fastswarm.user.env import Environment

log = logging.getLogger(__name__)


class MasterRunner(OpenModelControl):
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
        self._handlers: dict[str, Callable[..., None]] = {}
        self._greenlets: list[gevent.Greenlet] = []
        self._changed = Event()
        self._expected = options.expect_workers
        self.protocol_errors = 0  # messages dropped as malformed, unexpected or from strangers
        self._peer_log = ThrottledLog(log)
        self.door = Door(fingerprint, bool(getattr(options, "allow_mismatch", False)), self._peer_log)
        self.init_open_model()

    # -- Locust's runner API --
    @property
    def user_count(self) -> int:
        return sum(w.users for w in self.alive_workers())

    @property
    def worker_count(self) -> int:
        return len(self.alive_workers())

    def register_message(
        self, msg_type: str, listener: Callable[..., None], concurrent: bool = False
    ) -> None:
        """Call ``listener(environment=, msg=)`` when a worker sends ``msg_type``.

        ``concurrent=True`` runs it in its own greenlet, so a slow handler does not hold up
        the inbox (Locust's flag).
        """
        self._handlers[msg_type] = (lambda **kw: gevent.spawn(listener, **kw)) if concurrent else listener

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        """Send a custom message to one worker (by client_id) or to all."""
        for worker in self.alive_workers():
            if client_id is None or worker.client_id == client_id:
                self.channel.send(worker.identity, Custom(msg_type, data))

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
        """Take ``host`` if given; unless a test is under way, reset the stats and fire test_start."""
        env = self.environment
        if host:
            env.host = host
        if self.state in (RunState.READY, RunState.STOPPED):
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
        workers = self._workers_by_index()
        self._begin_test(host)
        self.target_users, self.spawn_rate = users, spawn_rate
        self.open_model, self.aggregator.target_rate = False, None
        if user_classes is None:
            counts = users_per_class(env.user_classes, users)
        else:
            counts = users_per_class_among(env.user_classes, user_classes, users)
        shares = split_across_workers(counts, len(workers))
        rates = split_rate(spawn_rate, [sum(share.values()) for share in shares])
        self.state = RunState.SPAWNING
        for worker, share, rate in zip(workers, shares, rates, strict=True):
            worker.spawned = False
            worker.stopped = False
            # A worker with no users still needs a rate > 0; it spawns nothing.
            self.channel.send(worker.identity, Spawn(share, rate or spawn_rate, env.host, self._expected))

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

    def quit(self) -> None:
        """Tell every worker to exit, and stop serving."""
        for worker in self.alive_workers():
            self.channel.send(worker.identity, Quit())
        gevent.killall(self._greenlets, block=True, timeout=2)

    def mark_lost(self, worker: WorkerInfo, reason: str) -> None:
        """A worker died or went silent: say so, and carry on with the rest."""
        if not worker.alive:
            return
        worker.alive = False
        worker.state = "missing"
        worker.users = 0
        worker.lost_reason = reason
        if self.on_worker_lost is not None:
            self.on_worker_lost(worker, reason)
        else:
            log.warning("%s lost: %s", worker.describe(), reason)
        if self.open_model and self.state is RunState.RUNNING and self.alive_workers():
            self.set_rate(self.target_rate or 0.0)  # the others take over its share of the rate
        self._changed.set()

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
            worker = self.workers.get(identity)
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
        worker = self.workers.get(identity)
        if worker is not None:
            worker.protocol_errors += 1
        self._peer_log.log(
            logging.WARNING, identity, "dropped a message from %s: %s", self._peer(identity), reason
        )

    def _peer(self, identity: bytes) -> str:
        return self.door.name(identity, self.workers.get(identity))

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
                worker.users = message.users
                try:
                    self.aggregator.add(worker.client_id, message.interval)
                except ValueError as exc:  # a histogram that is not one: nothing was merged
                    self._drop(identity, f"stats report: {exc}")
                    return
                if message.custom and env.events.worker_report:
                    env.events.worker_report.fire(client_id=worker.client_id, data=message.custom)
            case Heartbeat():
                assert worker is not None
                worker.users, worker.cpu_percent = message.users, message.cpu_percent
                worker.state, worker.loop_lag_ms = message.state, message.loop_lag_ms
                if message.state in ("spawning", "running"):  # self-check: was the generator the limit?
                    self.aggregator.generator.observe(
                        str(worker.index), message.cpu_percent, message.loop_lag_ms
                    )
                if env.events.heartbeat:
                    env.events.heartbeat.fire(client_id=worker.client_id, timestamp=time.time())
            case SpawningComplete():
                assert worker is not None
                worker.spawned, worker.users = True, message.users
                if self.state is RunState.SPAWNING and all(w.spawned for w in self.alive_workers()):
                    self.state = RunState.RUNNING
                    env.events.spawning_complete.fire(user_count=self.user_count)
            case Stopped():
                assert worker is not None
                worker.stopped, worker.users, worker.state = True, 0, "stopped"
            case WorkerError():
                assert worker is not None
                self.worker_errors.append(message)
                log.error("%s: %s: %s", worker.describe(), message.kind, message.message)
            case Custom():
                assert worker is not None
                self._dispatch_custom(worker, message)
            case Welcome() | Rejected() | Spawn() | Stop() | Quit() | ResetStats() | StartOpen() | SetRate():
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

    def _welcome(self, identity: bytes, hello: Hello) -> None:
        verdict = self.door.judge(hello)
        if verdict.refuse is None and identity in self.workers and self.workers[identity].alive:
            return
        used = {w.index for w in self.alive_workers()}
        index = next(i for i in range(len(used) + 1) if i not in used)
        reason = verdict.refuse
        if reason is None and index >= self._expected:
            reason = f"the master expects {self._expected} workers"
        if reason is not None:
            self.door.refuse(identity, hello, reason)
            self.channel.send(identity, Rejected(reason))
            return
        worker = self.workers[identity] = WorkerInfo(
            identity, index, hello.pid, hello.hostname, last_seen=time.monotonic()
        )
        if verdict.warning is not None:
            log.warning("%s: %s", worker.describe(), verdict.warning)
        log.info("%s joined", worker.describe())
        self.channel.send(identity, Welcome(index, self._expected, shareable_options(self.options)))

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
