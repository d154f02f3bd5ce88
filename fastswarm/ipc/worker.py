"""A worker process: connects to the master, runs the users it is given, ships its stats.

Its loop over the master's messages ends only on Quit or when the master is lost: a
message that does not decode is dropped, counted (``protocol_errors``) and logged at a
bounded rate; a handler that raises (a tasks file's ``register_message`` handler too) is
logged with its traceback and the next message is taken. The link (``ipc/link.py``) says
when the master hung up (users stop at once), when it has been silent past its heartbeat
timeout (it gave these users to others: they stop, and the worker waits to rejoin) and
when ``--master-timeout`` has passed with no master (the worker exits 1).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import time
import traceback
from typing import Any, assert_never

import gevent

from fastswarm.config.options import merge_remote_options
from fastswarm.config.settings import Config
from fastswarm.engine.loop_lag import LoopLagMeter
from fastswarm.engine.open_model import OpenModelRunner
from fastswarm.engine.process_meter import CpuMeter, resident_bytes
from fastswarm.engine.runner import UserRunner
from fastswarm.engine.state import RunState, idle
from fastswarm.exception import ProtocolError
from fastswarm.ipc.admission import Fingerprint
from fastswarm.ipc.keys import WorkerKeys
from fastswarm.ipc.link import CutOff, GaveUp, MasterGone, MasterLink
from fastswarm.ipc.messages import (
    PROTOCOL_VERSION,
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
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.ipc.worker_api import MessageHandler, WorkerRunnerApi
from fastswarm.stats.recorder import Recorder
from fastswarm.user.env import Environment, set_current

log = logging.getLogger(__name__)

_TICK_S = 0.25  # how often the serve loop looks at the link when the master says nothing


class WorkerRunner(WorkerRunnerApi):
    """The worker's side of the protocol; ``environment.runner`` in a worker process."""

    def __init__(
        self, environment: Environment, channel: MasterLink, options: Config, forked: bool = False
    ) -> None:
        self.environment = environment
        self.forked = forked
        self.channel = channel
        self.options = options
        self.heartbeat_interval: float = options.heartbeat_interval  # the master's, once welcomed
        self.client_id = channel.identity.decode()
        if environment.recorder is None:
            raise ValueError("a worker's environment needs a recorder")
        self.recorder: Recorder = environment.recorder
        self.users = UserRunner(environment, environment.user_classes)
        self.open = OpenModelRunner(environment, environment.user_classes)
        self._lag = LoopLagMeter()
        self.state = RunState.READY
        self.master_lost = False
        self._handlers: dict[str, MessageHandler] = {}
        self._stopping: gevent.Greenlet | None = None
        self._cpu = CpuMeter()
        self._loop_lag_ms = 0.0
        self.protocol_errors = 0  # the master's messages dropped as malformed
        self._log = ThrottledLog(log)
        self.init_runner_api()

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
                try:
                    item = self.channel.recv(timeout_s=_TICK_S)
                except ProtocolError as exc:
                    self.protocol_errors += 1
                    text = "worker %s: dropped a message from the master: %s"
                    self._log.log(logging.WARNING, "bad", text, self.client_id, exc)
                    continue
                if self.quit_requested:
                    log.info("worker %s: runner.quit() called; stopping and leaving", self.client_id)
                    self._stop(force=True)
                    self.channel.send(Quit())
                    return 0
                if self.master_lost:  # our parent, the master or the local supervisor, is gone
                    log.error("worker %s: lost the master (its process is gone); stopping", self.client_id)
                    self._stop(force=True)
                    return 1
                match item:
                    case None:
                        continue
                    case MasterGone():
                        code = self._master_gone()
                        if code is not None:
                            return code
                    case CutOff():
                        text = "worker %s: no word from the master for %.1f s: it gives these users to others"
                        log.warning(text + "; stopping them, trying to rejoin", self.client_id, item.silent_s)
                        self._stop(force=True)
                    case GaveUp():
                        log.error("worker %s: lost the master: %s; stopping", self.client_id, item.reason)
                        self._stop(force=True)
                        return 1
                    case Quit():
                        if not idle(self.state):
                            self._stop(force=True)
                        return 0
                    case _:
                        self._handle_safely(item)
        finally:
            gevent.killall(background)
            self.lifetime.end()

    def _handle_safely(self, message: Message) -> None:
        try:
            self.handle(message)
        except Exception:  # noqa: BLE001 - logged with its traceback; the next message is taken
            name = type(message).__name__
            text = "worker %s: handling %s from the master failed; carrying on"
            self._log.log(logging.ERROR, name, text, self.client_id, name, exc_info=True)

    def _master_gone(self) -> int | None:
        """The master hung up: stop the users now; 1 to exit, None to wait for a master."""
        if not self.channel.can_retry:
            log.error("worker %s: the master's process is gone; stopping", self.client_id)
            self._stop(force=True)
            return 1
        log.error(
            "worker %s: the master hung up; users stopped, trying %s for %.0f s (--master-timeout)",
            self.client_id,
            self.channel.address,
            self.channel.master_timeout,
        )
        self._stop(force=True)
        return None

    def handle(self, message: Message) -> None:
        env = self.environment
        match message:
            case Spawn():
                if idle(self.state):
                    self.recorder.take_interval()  # what was recorded between tests is not this test's
                    env.events.test_start.fire(environment=env)
                env.use_host(message.host)
                if self.open.running or self.open.user_count:
                    self.open.stop(timeout=0)  # an open-model test gives way
                    self.recorder.disable_open_model()
                self.state = RunState.SPAWNING
                self.users.apply(message.user_counts, message.spawn_rate, self._spawned)
            case StartOpen():
                self._start_open(message)
            case SetRate():
                self.open.set_rate(message.rate, message.rate_end, message.ramp_s)
            case Stop():
                if self._stopping is None or message.force:
                    if self._stopping is not None:
                        self._stopping.kill(block=False)
                    self._stopping = gevent.spawn(self._stop, message.force, message.stop_timeout)
            case ResetStats():
                self.recorder.reset()
                env.events.reset_stats.fire()
            case Heartbeat() | Ack():
                pass
            case Custom():
                self._dispatch_custom(message)
            case Welcome():
                self._welcomed(message)
            case Rejected():  # a rejoin refused: nothing else to do here
                log.error("worker %s: the master refused this worker: %s", self.client_id, message.reason)
                self.master_lost = True
            case Hello() | SpawningComplete() | StatsReport() | Stopped():
                log.warning("worker %s: unexpected %s from master", self.client_id, type(message).__name__)
            case WorkerError() | Quit():
                pass
            case _:
                assert_never(message)

    def _welcomed(self, message: Welcome) -> None:
        """A Welcome after a reconnect: taken back into the same test (carry on; the master
        sends this worker's share), or admitted afresh by a new master or for a new test."""
        env = self.environment
        env.worker_index, env.worker_count = message.worker_index, message.worker_count
        self.heartbeat_interval = message.heartbeat_interval
        if message.rejoined:
            log.warning("worker %s: rejoined the master (worker %d)", self.client_id, message.worker_index)
            return
        log.warning("worker %s: joined the master afresh (worker %d)", self.client_id, message.worker_index)
        if not idle(self.state):
            self.users.stop(timeout=0)
            self.open.stop(timeout=0)
            env.events.test_stop.fire(environment=env)
        self.recorder.take_interval()  # another test's numbers: the new master must not get them
        self.recorder.disable_open_model()
        self.state = RunState.READY

    def _start_open(self, message: StartOpen) -> None:
        """Open model: pace this worker's share of the rate, with corrected latency recorded."""
        env = self.environment
        if idle(self.state):
            self.recorder.take_interval()
            env.events.test_start.fire(environment=env)
        env.use_host(message.host)
        if self.users.user_count:
            self.users.stop(timeout=0)  # a closed-model test's users give way
        self.recorder.enable_open_model(self.open.planned_start, self.open.counters)
        self.open.start(message.spec(), message.phase)
        self.state = RunState.SPAWNING
        self._spawned(self.user_count)

    def _spawned(self, users: int) -> None:
        self.state = RunState.RUNNING
        self.channel.send(SpawningComplete(users))
        self.environment.events.spawning_complete.fire(user_count=users)

    def _stop(self, force: bool = False, stop_timeout: float | None = None) -> None:
        env = self.environment
        grace = 0.0 if force else (env.stop_timeout if stop_timeout is None else stop_timeout)
        if idle(self.state):
            self.channel.send(Stopped())
            return
        self.state = RunState.STOPPING
        env.events.test_stopping.fire(environment=env)
        self.users.stop(timeout=grace)
        self.open.stop(timeout=grace)
        env.events.test_stop.fire(environment=env)
        self._send_report()
        self.recorder.disable_open_model()
        self.state = RunState.STOPPED
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
            # Cut off from the master, the recorder keeps one interval open instead of
            # making reports to hold: the backlog stays short however long it lasts.
            if not idle(self.state) and self.channel.deliverable:
                self._send_report()

    def _send_report(self) -> None:
        env = self.environment
        interval = self.recorder.take_interval()
        custom: dict[str, Any] = {}
        if env.events.report_to_master:
            env.events.report_to_master.fire(client_id=self.client_id, data=custom)
        if not self.master_lost:
            self.channel.send(StatsReport(interval, self.user_count, custom))

    def _heartbeat_loop(self) -> None:
        parent = os.getppid()
        while True:
            gevent.sleep(max(0.01, self.heartbeat_interval))
            self._loop_lag_ms = self._lag.take_max_ms()
            if self.forked and os.getppid() != parent:
                self.master_lost = True
                return
            cpu = self._cpu.read()
            self.channel.send(Heartbeat(self.user_count, cpu, self.state.value, self._loop_lag_ms))
            events = self.environment.events
            for hook in (events.heartbeat, events.heartbeat_sent):
                if hook:
                    hook.fire(client_id=self.client_id, timestamp=time.time())
            if events.usage_monitor:
                events.usage_monitor.fire(
                    environment=self.environment, cpu_usage=cpu, memory_usage=resident_bytes()
                )


def run_worker(
    options: Config,
    user_classes: list[Any],
    address: str,
    forked: bool = False,
    fingerprint: Fingerprint | None = None,
    keys: WorkerKeys | None = None,
) -> int:
    """The whole life of one worker process; returns its exit code.

    ``fingerprint`` (its tasks file and fastswarm version) goes to the master in Hello; a
    master running something else refuses this worker, which then exits 1 saying why.
    ``keys``: CURVE on tcp://.
    """
    hostname, pid = socket.gethostname(), os.getpid()
    worker_id = f"{hostname}-{pid}-{secrets.token_hex(3)}"  # unique even where pids repeat (containers)
    fp = fingerprint or Fingerprint("", "")
    hello = Hello(PROTOCOL_VERSION, pid, hostname, fp.tasks_sha256, fp.version, worker_id)
    link = MasterLink(address, hello, options.master_timeout, options.max_message_size, keys)
    link.open()
    try:
        reply = link.join(timeout_s=options.expect_workers_timeout)
        if reply is None:
            why = link.handshake_failure  # a CURVE refusal ends the wait early
            detail = f": {why}" if why else ""
            log.error("worker %s: no answer from the master at %s%s", worker_id, address, detail)
            return 1
        if isinstance(reply, Rejected):
            log.error("worker %s: the master refused this worker: %s", worker_id, reply.reason)
            return 1
        if not isinstance(reply, Welcome):
            log.error("worker %s: expected a welcome, got %s", worker_id, type(reply).__name__)
            return 1
        beat, timeout = reply.heartbeat_interval, reply.heartbeat_timeout
        options = dataclasses.replace(options, heartbeat_interval=beat, heartbeat_timeout=timeout)
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
        runner = WorkerRunner(env, link, options, forked)
        env.runner = runner
        set_current(env)
        try:
            env.events.init.fire(environment=env)
            code = runner.serve()
            env.events.quitting.fire(environment=env)
            env.events.quit.fire(exit_code=code)
            return code
        except Exception as exc:  # noqa: BLE001 - reported to the master, then this worker exits
            link.send(WorkerError(type(exc).__name__, str(exc), traceback.format_exc()))
            return 1
    finally:
        link.close()
