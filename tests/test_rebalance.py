"""Capacity that comes back, on the master (issue 10 point 3): the coordinator shares users
and rate out again when a worker is lost, joins late or rejoins, and merges each stats
report once across reconnects.

A real MasterRunner and Aggregator; only the ROUTER socket is replaced by a recorder of
what would be sent, and messages are handed to ``deliver`` as the receive loop would.
The same paths across real processes and hosts: test_multihost_faults.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from fastswarm import User, constant, task
from fastswarm.config.open_spec import OpenSpec
from fastswarm.config.settings import Config
from fastswarm.engine.arrivals import ArrivalSchedule
from fastswarm.engine.distribution import users_per_class
from fastswarm.ipc import wire
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.messages import (
    PROTOCOL_VERSION,
    Ack,
    Heartbeat,
    Hello,
    Rejected,
    SetRate,
    Spawn,
    SpawningComplete,
    StartOpen,
    StatsReport,
    Welcome,
)
from fastswarm.ipc.state import RunState
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, IntervalStats
from fastswarm.user.env import Environment
from fastswarm.user.event import Events
from tests.fakes import Wire

PER_REPORT = 3  # requests in each _report()


class Reader(User):
    wait_time = constant(1)
    weight = 3

    @task
    def read(self) -> None:
        pass


class Writer(User):
    wait_time = constant(1)
    weight = 1

    @task
    def write(self) -> None:
        pass


def _master(expect: int = 2, **options: Any) -> tuple[MasterRunner, Wire]:
    env = Environment(role="master", user_classes=[Reader, Writer], events=Events())
    config = Config(expect_workers=expect, heartbeat_interval=0.5, heartbeat_timeout=3.0, **options)
    sent = Wire()
    return MasterRunner(env, sent, Aggregator(), config), sent  # type: ignore[arg-type]


def _join(runner: MasterRunner, name: str, identity: str | None = None) -> bytes:
    """Say Hello as worker ``name`` on connection ``identity`` (the name, unless given)."""
    ident = (identity or name).encode()
    runner.deliver(ident, Hello(PROTOCOL_VERSION, 100 + len(runner.workers), "box", "", "", name))
    return ident


def _report(users: int, seq: int) -> StatsReport:
    """A StatsReport as the master's inbox gets it: through the wire (3 requests)."""
    histogram = LatencyHistogram()
    for us in (900, 1200, 5000):
        histogram.record(us)
    now = time.time()
    interval = IntervalStats(now - 1, now, (EntryStats("GET", "/", PER_REPORT, 0, 0, histogram.to_bytes()),))
    message = wire.decode(wire.encode(StatsReport(interval, users, {}, seq)))
    assert isinstance(message, StatsReport)
    return message


def _spawns(out: Wire) -> dict[bytes, Spawn]:
    return {identity: message for identity, message in out.take(Spawn)}


def _users(spawn: Spawn) -> int:
    return sum(spawn.user_counts.values())


def _complete(runner: MasterRunner, *identities: bytes) -> None:
    for identity in identities:
        worker, _ = runner.route(identity)
        assert worker is not None
        runner.deliver(identity, SpawningComplete(sum(worker.share.values())))


def test_expect_workers_is_a_minimum_and_late_workers_are_welcomed() -> None:
    runner, out = _master(expect=1)
    for name in ("a", "b", "c"):
        _join(runner, name)
    welcomes = out.take()
    assert [type(m) for _, m in welcomes] == [Welcome, Welcome, Welcome]  # none Rejected
    assert [m.worker_index for _, m in welcomes] == [0, 1, 2]
    assert [m.worker_count for _, m in welcomes] == [1, 2, 3]  # user ids stay apart
    assert all(m.heartbeat_interval == 0.5 and m.heartbeat_timeout == 3.0 for _, m in welcomes)
    assert runner.wait_for_workers(1, timeout=0.1) and runner.worker_count == 3


def test_a_lost_worker_s_users_move_to_the_live_ones_at_the_spawn_rate() -> None:
    runner, out = _master(expect=3)
    a, b, c = (_join(runner, n) for n in "abc")
    runner.wait_for_workers(3, timeout=0.1)
    out.take()
    runner.start(30, spawn_rate=6.0)
    first = _spawns(out)
    assert [_users(first[i]) for i in (a, b, c)] == [10, 10, 10]
    assert sum(s.spawn_rate for s in first.values()) == pytest.approx(6.0)
    _complete(runner, a, b, c)
    assert runner.state is RunState.RUNNING

    worker_b, _ = runner.route(b)
    assert worker_b is not None
    runner.mark_lost(worker_b, "killed by SIGKILL")
    moved = _spawns(out)
    assert set(moved) == {a, c}  # the lost one is told nothing
    assert [_users(moved[i]) for i in (a, c)] == [15, 15]
    mix = {n: moved[a].user_counts[n] + moved[c].user_counts[n] for n in ("Reader", "Writer")}
    assert mix == users_per_class([Reader, Writer], 30)  # the class mix of 30 users, kept
    # 10 users to start in all, at 6/s in all: 3/s each, both ramps end together
    assert [moved[i].spawn_rate for i in (a, c)] == pytest.approx([3.0, 3.0])
    assert runner.state is RunState.SPAWNING
    _complete(runner, a, c)
    assert runner.state is RunState.RUNNING and runner.target_users == 30


def test_a_worker_joining_mid_run_gets_its_share_and_the_others_give_theirs() -> None:
    runner, out = _master(expect=2)
    a, b = _join(runner, "a"), _join(runner, "b")
    runner.wait_for_workers(2, timeout=0.1)
    runner.start(20, spawn_rate=4.0)
    _spawns(out)
    _complete(runner, a, b)
    late = _join(runner, "late")
    sent = out.take()
    assert isinstance(sent[0][1], Welcome) and sent[0][0] == late and sent[0][1].worker_index == 2
    spawns = {i: m for i, m in sent if isinstance(m, Spawn)}
    assert [_users(spawns[i]) for i in (a, b, late)] == [7, 7, 6]
    # 3 + 3 users stop and 6 start: 12 moves at 4/s in all, so each ramp takes 1.5 s
    assert [spawns[i].spawn_rate for i in (a, b, late)] == pytest.approx([1.0, 1.0, 2.0])


def test_a_rejoin_in_the_same_test_merges_every_report_exactly_once() -> None:
    runner, out = _master(expect=1)
    first = _join(runner, "w")
    runner.wait_for_workers(1, timeout=0.1)
    runner.start(4, spawn_rate=4.0)
    _complete(runner, first)
    for seq in (1, 2):
        runner.deliver(first, _report(4, seq))
    assert [m.seq for _, m in out.take(Ack)] == [1, 2]

    # A partition: the worker reconnects with a new connection, the same worker id.
    again = _join(runner, "w", "w~1")
    sent = out.take()
    welcome = next(m for _, m in sent if isinstance(m, Welcome))
    assert welcome.rejoined and welcome.worker_index == 0
    assert any(isinstance(m, Spawn) and i == again for i, m in sent)  # its share again, on the new one
    worker, current = runner.route(again)
    assert worker is not None and current and worker.reconnects == 1 and worker.rejoins == 0
    runner.deliver(again, _report(4, 2))  # sent again: merged already
    runner.deliver(again, _report(4, 3))
    runner.deliver(first, _report(4, 4))  # late, on the old connection
    runner.deliver(first, Heartbeat(99, 1.0, "running", 0.0))
    assert [m.seq for _, m in out.take(Ack)] == [2, 3]
    assert runner.aggregator.totals_row().requests == 3 * PER_REPORT
    assert worker.duplicates == 1 and worker.users == 4 and runner.protocol_errors == 0


def test_a_report_out_of_order_is_dropped_until_its_turn() -> None:
    runner, out = _master(expect=1)
    ident = _join(runner, "w")
    runner.wait_for_workers(1, timeout=0.1)
    runner.start(1, spawn_rate=1.0)
    runner.deliver(ident, _report(1, 2))
    assert runner.aggregator.totals_row().requests == 0 and runner.protocol_errors == 1
    assert [m.seq for _, m in out.take(Ack)] == [0]
    runner.deliver(ident, _report(1, 1))
    runner.deliver(ident, _report(1, 2))
    assert runner.aggregator.totals_row().requests == 2 * PER_REPORT


def test_a_lost_worker_that_rejoins_gets_users_back_and_its_slot() -> None:
    runner, out = _master(expect=2)
    a, b = _join(runner, "a"), _join(runner, "b")
    runner.wait_for_workers(2, timeout=0.1)
    runner.start(10, spawn_rate=10.0)
    _complete(runner, a, b)
    out.take()
    worker_b, _ = runner.route(b)
    assert worker_b is not None
    runner.mark_lost(worker_b, "no heartbeat for 3 s")
    assert [_users(s) for s in _spawns(out).values()] == [10]
    assert runner.worker_count == 1

    back = _join(runner, "b", "b~3")
    sent = out.take()
    welcome = next(m for i, m in sent if isinstance(m, Welcome) and i == back)
    assert welcome.rejoined and welcome.worker_index == 1  # its slot, free meanwhile
    spawns = {i: m for i, m in sent if isinstance(m, Spawn)}
    assert [_users(spawns[i]) for i in (a, back)] == [5, 5]
    assert worker_b.alive and worker_b.rejoins == 1 and worker_b.lost_reason == ""


def test_a_worker_back_after_its_test_ended_starts_afresh() -> None:
    runner, out = _master(expect=2)
    _join(runner, "a")
    b = _join(runner, "b")
    runner.wait_for_workers(2, timeout=0.1)
    runner.start(4, spawn_rate=4.0)
    worker_b, _ = runner.route(b)
    assert worker_b is not None
    runner.deliver(b, _report(2, 1))
    runner.mark_lost(worker_b, "no heartbeat for 3 s")
    runner.state = RunState.STOPPED  # that test ended; another begins
    runner.start(4, spawn_rate=4.0)
    out.take()
    back = _join(runner, "b", "b~1")
    welcome = next(m for i, m in out.take() if isinstance(m, Welcome) and i == back)
    assert not welcome.rejoined  # its reports were of the last test: it must drop them
    assert worker_b.next_seq == 1
    runner.deliver(back, _report(2, 1))
    assert runner.aggregator.totals_row().requests == PER_REPORT


def test_open_model_rate_and_ramp_are_split_anew_when_workers_change() -> None:
    runner, out = _master(expect=2)
    a, b = _join(runner, "a"), _join(runner, "b")
    runner.wait_for_workers(2, timeout=0.1)
    runner.start_open(OpenSpec(100.0, rate_end=300.0, ramp_s=100.0, duration_s=600.0))
    starts = dict(out.take(StartOpen))
    assert [starts[i].rate for i in (a, b)] == [50.0, 50.0]
    assert [starts[i].phase for i in (a, b)] == [0.0, 0.5]
    worker_a, _ = runner.route(a)
    assert worker_a is not None
    runner.state = RunState.RUNNING
    runner.mark_lost(worker_a, "disconnected")
    [(to, rate)] = out.take(SetRate)
    assert to == b and rate.rate == pytest.approx(100.0, abs=1.0) and rate.rate_end == 300.0
    assert rate.ramp_s == pytest.approx(100.0, abs=1.0)  # the rest of the ramp, not a flat rate

    late = _join(runner, "late")
    sent = out.take()
    [(to, start)] = [(i, m) for i, m in sent if isinstance(m, StartOpen)]
    assert to == late and start.rate == pytest.approx(50.0, abs=1.0) and start.rate_end == 150.0
    assert start.duration_s == pytest.approx(600.0, abs=1.0) and start.max_users == 500
    [(to, rate)] = [(i, m) for i, m in sent if isinstance(m, SetRate)]
    assert to == b and rate.rate == pytest.approx(50.0, abs=1.0) and rate.rate_end == 150.0


def test_a_refused_hello_is_still_refused() -> None:
    runner, out = _master(expect=1)
    runner.deliver(b"x", Hello(PROTOCOL_VERSION + 1, 1, "box", "", "", "x"))
    [(_, answer)] = out.take()
    assert isinstance(answer, Rejected) and runner.worker_count == 0


def test_a_worker_s_schedule_takes_the_rest_of_a_ramp_without_a_jump() -> None:
    schedule = ArrivalSchedule(10.0)
    for _ in range(50):  # 5 s at 10/s
        schedule.next_planned()
    schedule.set_rate(10.0, now=5.0, rate_end=30.0, ramp_s=10.0)
    assert schedule.rate_at(5.0) == 10.0 and schedule.rate_at(10.0) == 20.0 and schedule.rate_at(20.0) == 30.0
    assert schedule.peek() == pytest.approx(5.0)  # the next arrival is where it was due
    schedule.set_rate(8.0, now=6.0)  # flat, as before
    assert schedule.rate_at(6.0) == schedule.rate_at(60.0) == 8.0
