"""Named states: the run's and each worker's, in heartbeats, the master's view and the metrics."""

from __future__ import annotations

import json

from fastswarm.config.settings import Config
from fastswarm.engine.state import RunState
from fastswarm.ipc import wire
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.messages import PROTOCOL_VERSION, Heartbeat, Hello, Stopped
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.prometheus import RUN_STATES
from fastswarm.user.env import Environment
from fastswarm.user.event import Events
from tests.fakes import Wire


def _runner_with_worker() -> tuple[MasterRunner, bytes]:
    env = Environment(role="master", user_classes=[], events=Events())
    runner = MasterRunner(env, Wire(), Aggregator(), Config(expect_workers=1))  # type: ignore[arg-type]
    runner.deliver(b"w", Hello(PROTOCOL_VERSION, 100, "box", "", "", "w"))
    return runner, b"w"


def test_a_state_reads_and_prints_as_its_plain_name() -> None:
    assert RunState.RUNNING == "running" and f"{RunState.RUNNING}" == "running"
    assert str(RunState.MISSING) == "missing"
    assert json.dumps({"state": RunState.STOPPED}) == '{"state": "stopped"}'


def test_a_worker_may_say_every_state_but_missing() -> None:
    assert set(wire.WORKER_STATES) == {s.value for s in RunState} - {"missing", "waiting", "cleanup"}
    for state in wire.WORKER_STATES:
        message = wire.decode(wire.encode(Heartbeat(1, 2.0, state, 0.0)))
        assert isinstance(message, Heartbeat) and message.state == state


def test_the_master_keeps_each_worker_s_state_as_the_enum() -> None:
    runner, identity = _runner_with_worker()
    worker, _ = runner.route(identity)
    assert worker is not None and worker.state is RunState.READY
    runner.deliver(identity, Heartbeat(3, 10.0, "running", 1.0))
    assert worker.state is RunState.RUNNING and worker.users == 3
    runner.deliver(identity, Heartbeat(3, 10.0, "", 1.0))  # no state said: the last one stands
    assert worker.state is RunState.RUNNING
    runner.deliver(identity, Stopped())
    assert worker.state is RunState.STOPPED
    runner.mark_lost(worker, "no heartbeat for 3 s")
    assert worker.state is RunState.MISSING


def test_the_metrics_name_every_state_the_master_can_be_in_in_order() -> None:
    never_the_master_s = {RunState.CLEANUP, RunState.MISSING}  # Locust's names; a lost worker's
    assert RUN_STATES == tuple(s.value for s in RunState if s not in never_the_master_s)
