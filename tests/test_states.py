"""Named states: the run's and each worker's, in heartbeats, the master's view and the metrics."""

from __future__ import annotations

import json

from fastswarm.config.settings import Config
from fastswarm.ipc import wire
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.messages import PROTOCOL_VERSION, Heartbeat, Hello, Message, Stopped
from fastswarm.ipc.state import RunState, WorkerState
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.prometheus import RUN_STATES
from fastswarm.user.env import Environment
from fastswarm.user.event import Events


class Wire:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Message]] = []

    def send(self, identity: bytes, message: Message) -> bool:
        self.sent.append((identity, message))
        return True


def _runner_with_worker() -> tuple[MasterRunner, bytes]:
    env = Environment(role="master", user_classes=[], events=Events())
    runner = MasterRunner(env, Wire(), Aggregator(), Config(expect_workers=1))  # type: ignore[arg-type]
    runner.deliver(b"w", Hello(PROTOCOL_VERSION, 100, "box", "", "", "w"))
    return runner, b"w"


def test_a_state_reads_and_prints_as_its_plain_name() -> None:
    assert WorkerState.RUNNING == "running" and f"{WorkerState.RUNNING}" == "running"
    assert str(WorkerState.MISSING) == "missing"
    assert json.dumps({"state": WorkerState.STOPPED}) == '{"state": "stopped"}'


def test_a_worker_may_say_every_state_but_missing() -> None:
    assert set(wire.WORKER_STATES) == {s.value for s in WorkerState} - {"missing"}
    for state in wire.WORKER_STATES:
        message = wire.decode(wire.encode(Heartbeat(1, 2.0, state, 0.0)))
        assert isinstance(message, Heartbeat) and message.state == state


def test_the_master_keeps_each_worker_s_state_as_the_enum() -> None:
    runner, identity = _runner_with_worker()
    worker, _ = runner.route(identity)
    assert worker is not None and worker.state is WorkerState.READY
    runner.deliver(identity, Heartbeat(3, 10.0, "running", 1.0))
    assert worker.state is WorkerState.RUNNING and worker.users == 3
    runner.deliver(identity, Heartbeat(3, 10.0, "", 1.0))  # no state said: the last one stands
    assert worker.state is WorkerState.RUNNING
    runner.deliver(identity, Stopped())
    assert worker.state is WorkerState.STOPPED
    runner.mark_lost(worker, "no heartbeat for 3 s")
    assert worker.state is WorkerState.MISSING


def test_the_metrics_name_every_run_state_in_order() -> None:
    assert RUN_STATES == tuple(s.value for s in RunState)
