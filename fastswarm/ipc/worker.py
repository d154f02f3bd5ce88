"""A worker process: connects to the master, runs the users it is given, ships its stats."""

from __future__ import annotations

import logging
import os
import resource
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any, assert_never

import gevent

from fastswarm.config.options import merge_remote_options
from fastswarm.engine.loop_lag import LoopLagMeter
from fastswarm.engine.open_model import OpenModelRunner
from fastswarm.engine.runner import UserRunner
from fastswarm.ipc.channel import WorkerChannel
from fastswarm.ipc.messages import (
    PROTOCOL_VERSION,
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
from fastswarm.stats.recorder import Recorder
from fastswarm.user.env import Environment, set_current

log = logging.getLogger(__name__)

MessageHandler = Callable[..., None]


class CpuMeter:
    """This process's CPU use, as a percentage of one core since the previous reading."""

    def __init__(self) -> None:
        self._last_cpu = self._cpu()
        self._last_wall = time.monotonic()

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def read(self) -> float:
        cpu, wall = self._cpu(), time.monotonic()
        spent, elapsed = cpu - self._last_cpu, wall - self._last_wall
        self._last_cpu, self._last_wall = cpu, wall
        return 100.0 * spent / elapsed if elapsed > 0 else 0.0


class WorkerRunner:
    """The worker's side of the protocol; ``environment.runner`` in a worker process."""

    def __init__(
        self, environment: Environment, channel: WorkerChannel, options: Any, forked: bool = False
    ) -> None:
        self.environment = environment
        self.forked = forked
        self.channel = channel
        self.options = options
        self.client_id = channel.identity.decode()
        if environment.recorder is None:
            raise ValueError("a worker's environment needs a recorder")
        self.recorder: Recorder = environment.recorder
        self.users = UserRunner(environment, environment.user_classes)
        self.open = OpenModelRunner(environment, environment.user_classes)
        self._lag = LoopLagMeter()
        self.state = "ready"
        self.master_lost = False
        self._handlers: dict[str, MessageHandler] = {}
        self._stopping: gevent.Greenlet | None = None
        self._cpu = CpuMeter()
        self._loop_lag_ms = 0.0

    # -- Locust's runner API --
    @property
    def user_count(self) -> int:
        return self.users.user_count + self.open.user_count

    def register_message(self, msg_type: str, listener: MessageHandler, concurrent: bool = False) -> None:
        """Call ``listener(environment=, msg=)`` when the master sends ``msg_type``.

        ``concurrent=True`` runs it in its own greenlet, so a slow handler does not hold up
        the master's next messages (Locust's flag).
        """
        self._handlers[msg_type] = (lambda **kw: gevent.spawn(listener, **kw)) if concurrent else listener

    def send_message(self, msg_type: str, data: Any = None) -> None:
        """Send a custom message to the master."""
        self.channel.send(Custom(msg_type, data))

    # -- lifecycle --
    def serve(self) -> int:
        """Handle the master's messages until Quit; 1 when the master is lost, else 0."""
        background = [
            gevent.spawn(self._report_loop),
            gevent.spawn(self._heartbeat_loop),
            gevent.spawn(self._lag.run),
        ]
        try:
            while True:
                message = self.channel.recv(timeout_s=self.options.heartbeat_timeout)
                if message is None or self.master_lost:
                    log.error("worker %s: lost the master; stopping", self.client_id)
                    self.master_lost = True
                    self._stop(force=True)
                    return 1
                if isinstance(message, Quit):
                    if self.state != "stopped" and self.state != "ready":
                        self._stop(force=True)
                    return 0
                self.handle(message)
        finally:
            gevent.killall(background)

    def handle(self, message: Message) -> None:
        env = self.environment
        match message:
            case Spawn():
                if self.state in ("ready", "stopped"):
                    self.recorder.take_interval()  # what was recorded between tests is not this test's
                    env.events.test_start.fire(environment=env)
                env.host = message.host or env.host
                if self.open.running or self.open.user_count:
                    self.open.stop(timeout=0)  # an open-model test gives way
                    self.recorder.disable_open_model()
                self.state = "spawning"
                self.users.apply(message.user_counts, message.spawn_rate, self._spawned)
            case StartOpen():
                self._start_open(message)
            case SetRate():
                self.open.set_rate(message.rate)
            case Stop():
                if self._stopping is None or message.force:
                    if self._stopping is not None:
                        self._stopping.kill(block=False)
                    self._stopping = gevent.spawn(self._stop, message.force, message.stop_timeout)
            case ResetStats():
                self.recorder.reset()
                env.events.reset_stats.fire()
            case Heartbeat():
                pass
            case Custom():
                self._dispatch_custom(message)
            case Welcome() | Rejected() | Hello() | SpawningComplete() | StatsReport() | Stopped():
                log.warning("worker %s: unexpected %s from master", self.client_id, type(message).__name__)
            case WorkerError() | Quit():
                pass
            case _:
                assert_never(message)

    def _start_open(self, message: StartOpen) -> None:
        """Open model: pace this worker's share of the rate, with corrected latency recorded."""
        env = self.environment
        if self.state in ("ready", "stopped"):
            self.recorder.take_interval()
            env.events.test_start.fire(environment=env)
        env.host = message.host or env.host
        if self.users.user_count:
            self.users.stop(timeout=0)  # a closed-model test's users give way
        self.recorder.enable_open_model(self.open.planned_start, self.open.counters)
        self.open.start(
            message.rate,
            message.rate_end,
            message.ramp_s,
            message.arrival,
            message.max_users,
            message.phase,
            message.duration_s or None,
        )
        self.state = "spawning"
        self._spawned(self.user_count)

    def _spawned(self, users: int) -> None:
        self.state = "running"
        self.channel.send(SpawningComplete(users))
        self.environment.events.spawning_complete.fire(user_count=users)

    def _stop(self, force: bool = False, stop_timeout: float | None = None) -> None:
        env = self.environment
        grace = 0.0 if force else (env.stop_timeout if stop_timeout is None else stop_timeout)
        if self.state in ("ready", "stopped"):
            self.channel.send(Stopped())
            return
        self.state = "stopping"
        env.events.test_stopping.fire(environment=env)
        self.users.stop(timeout=grace)
        self.open.stop(timeout=grace)
        env.events.test_stop.fire(environment=env)
        self._send_report()
        self.recorder.disable_open_model()
        self.state = "stopped"
        self._stopping = None
        if not self.master_lost:
            self.channel.send(Stopped())

    def _dispatch_custom(self, message: Custom) -> None:
        handler = self._handlers.get(message.type)
        if handler is None:
            log.warning("worker %s: no handler for custom message %r", self.client_id, message.type)
            return
        handler(environment=self.environment, msg=CustomMessage(message.type, message.data, "master"))

    # -- background loops --
    def _report_loop(self) -> None:
        interval = self.options.report_interval
        next_at = time.monotonic() + interval
        while True:
            gevent.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            if self.state in ("spawning", "running", "stopping"):
                self._send_report()

    def _send_report(self) -> None:
        env = self.environment
        interval = self.recorder.take_interval()
        custom: dict[str, Any] = {}
        if env.events.report_to_master:
            env.events.report_to_master.fire(client_id=self.client_id, data=custom)
        if not self.master_lost:
            self.channel.send(StatsReport(interval.to_wire(), self.user_count, custom))

    def _heartbeat_loop(self) -> None:
        interval = self.options.heartbeat_interval
        parent = os.getppid()
        while True:
            gevent.sleep(interval)
            self._loop_lag_ms = self._lag.take_max_ms()
            if self.forked and os.getppid() != parent:
                self.master_lost = True
                return
            cpu = self._cpu.read()
            self.channel.send(Heartbeat(self.user_count, cpu, self.state, self._loop_lag_ms))
            events = self.environment.events
            if events.heartbeat:
                events.heartbeat.fire(client_id=self.client_id, timestamp=time.time())
            if events.usage_monitor:
                events.usage_monitor.fire(
                    environment=self.environment, cpu_usage=cpu, memory_usage=_resident_bytes()
                )


def _resident_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def run_worker(options: Any, user_classes: list[Any], address: str, forked: bool = False) -> int:
    """The whole life of one worker process; returns its exit code."""
    identity = f"{socket.gethostname()}-{os.getpid()}".encode()
    channel = WorkerChannel(address, identity)
    channel.start()
    try:
        channel.send(Hello(PROTOCOL_VERSION, os.getpid(), socket.gethostname()))
        reply = channel.recv(timeout_s=options.expect_workers_timeout)
        if reply is None:
            log.error("worker %s: no answer from the master at %s", identity.decode(), address)
            return 1
        if isinstance(reply, Rejected):
            log.error("worker %s: the master refused this worker: %s", identity.decode(), reply.reason)
            return 1
        if not isinstance(reply, Welcome):
            log.error("worker %s: expected a welcome, got %s", identity.decode(), type(reply).__name__)
            return 1
        env = Environment(
            role="worker",
            user_classes=user_classes,
            host=options.host,
            recorder=Recorder(max_names=options.max_names),
            worker_index=reply.worker_index,
            worker_count=reply.worker_count,
            stop_timeout=options.stop_timeout,
            parsed_options=merge_remote_options(options, reply.options),
        )
        env.events.request.bind(env.recorder)
        runner = WorkerRunner(env, channel, options, forked)
        env.runner = runner
        set_current(env)
        try:
            env.events.init.fire(environment=env)
            code = runner.serve()
            env.events.quitting.fire(environment=env)
            env.events.quit.fire(exit_code=code)
            return code
        except Exception as exc:  # noqa: BLE001 - reported to the master, then this worker exits
            channel.send(WorkerError(type(exc).__name__, str(exc), traceback.format_exc()))
            return 1
    finally:
        channel.close()
