"""The master's ``OpenPlanner`` on its own: each worker's share of the rate, on a clock the test moves."""

from __future__ import annotations

import pytest

from fastswarm.config.open_spec import Arrival, OpenSpec
from fastswarm.ipc.messages import Message, SetRate, StartOpen
from fastswarm.ipc.open_planner import OpenPlanner
from fastswarm.ipc.state import WorkerInfo

HOST = "http://127.0.0.1:1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _planner() -> tuple[OpenPlanner, Clock, list[tuple[bytes, Message]]]:
    sent: list[tuple[bytes, Message]] = []
    clock = Clock()
    return OpenPlanner(lambda identity, message: sent.append((identity, message)), clock), clock, sent


def _workers(*names: str) -> list[WorkerInfo]:
    return [WorkerInfo(name.encode(), i, 100 + i, "box") for i, name in enumerate(names)]


def test_start_splits_rate_pool_and_phase_and_marks_each_worker() -> None:
    planner, _, sent = _planner()
    workers = _workers("a", "b", "c")
    workers[1].spawned = workers[1].stopped = True  # from the last test
    planner.start(OpenSpec(90.0, 180.0, 30.0, Arrival.POISSON, 10), workers, generation=4, host=HOST)
    assert [identity for identity, _ in sent] == [b"a", b"b", b"c"]
    starts = [m for _, m in sent]
    assert all(isinstance(m, StartOpen) for m in starts)
    assert [(m.rate, m.rate_end, m.ramp_s) for m in starts] == [(30.0, 60.0, 30.0)] * 3  # type: ignore[union-attr]
    assert [m.max_users for m in starts] == [4, 3, 3]  # type: ignore[union-attr]
    assert [m.phase for m in starts] == pytest.approx([0.0, 1 / 3, 2 / 3])  # type: ignore[union-attr]
    assert {(m.arrival, m.duration_s, m.host) for m in starts} == {("poisson", 0.0, HOST)}  # type: ignore[union-attr]
    assert [(w.assigned_test, w.spawned, w.stopped) for w in workers] == [(4, False, False)] * 3


def test_the_target_rate_follows_the_ramp_and_ends_with_the_test() -> None:
    planner, clock, _ = _planner()
    assert planner.target_rate() is None and not planner.active
    planner.start(OpenSpec(100.0, 300.0, 10.0), _workers("a"), 1, HOST)
    assert planner.target_rate() == 100.0
    clock.now += 5.0
    assert planner.target_rate() == pytest.approx(200.0)
    clock.now += 50.0
    assert planner.target_rate() == pytest.approx(300.0)
    planner.end()
    assert planner.target_rate() is None


def test_set_rate_is_flat_from_now_and_rebalance_sends_it() -> None:
    planner, clock, sent = _planner()
    workers = _workers("a", "b")
    planner.start(OpenSpec(100.0, 300.0, 10.0), workers, 1, HOST)
    sent.clear()
    clock.now += 2.0
    planner.set_rate(40.0)
    assert sent == []  # nothing is sent until the caller rebalances
    clock.now += 100.0
    assert planner.target_rate() == 40.0
    planner.rebalance(workers, 1, HOST)
    assert sent == [(b"a", SetRate(20.0, 20.0, 0.0)), (b"b", SetRate(20.0, 20.0, 0.0))]
    with pytest.raises(ValueError, match="^rate:"):
        planner.set_rate(-1.0)
    assert planner.target_rate() == 40.0


def test_a_newcomer_mid_ramp_gets_the_rest_of_the_run_and_the_others_the_rest_of_the_ramp() -> None:
    planner, clock, sent = _planner()
    a, b = _workers("a", "b")
    planner.start(OpenSpec(100.0, 300.0, 100.0, max_users=1000, duration_s=600.0), [a], 1, HOST)
    sent.clear()
    clock.now += 50.0  # half way up the ramp: 200/s now
    b.index = 1
    planner.rebalance([b, a], 1, HOST)
    (to_a, rate), (to_b, start) = sent
    assert to_a == b"a" and rate == SetRate(100.0, 150.0, 50.0)
    assert to_b == b"b" and isinstance(start, StartOpen)
    assert (start.rate, start.rate_end, start.ramp_s, start.phase) == (100.0, 150.0, 50.0, 0.5)
    assert start.duration_s == 550.0 and start.max_users == 500
    assert b.assigned_test == 1


def test_no_newcomer_is_started_once_the_run_s_length_is_over() -> None:
    planner, clock, sent = _planner()
    a, b = _workers("a", "b")
    planner.start(OpenSpec(10.0, duration_s=60.0), [a], 1, HOST)
    sent.clear()
    clock.now += 61.0
    planner.rebalance([a, b], 1, HOST)
    assert sent == [(b"a", SetRate(5.0, 5.0, 0.0))]
    assert b.assigned_test == -1


def test_set_rate_keeps_the_run_s_length_for_late_joiners() -> None:
    planner, clock, sent = _planner()
    a, b = _workers("a", "b")
    planner.start(OpenSpec(10.0, duration_s=60.0), [a], 1, HOST)
    planner.set_rate(20.0)
    sent.clear()
    clock.now += 10.0
    planner.rebalance([a, b], 1, HOST)
    start = sent[1][1]
    assert isinstance(start, StartOpen) and start.duration_s == 50.0 and start.rate == 10.0


def test_resend_repeats_a_share_only_to_a_worker_of_this_test() -> None:
    planner, clock, sent = _planner()
    a, b = _workers("a", "b")
    planner.start(OpenSpec(100.0, 200.0, 10.0), [a], 3, HOST)
    sent.clear()
    clock.now += 5.0
    planner.resend(a, live=2, generation=3)
    planner.resend(b, live=2, generation=3)  # never given this test: it waits for a rebalance
    planner.resend(a, live=0, generation=3)
    assert sent == [(b"a", SetRate(75.0, 100.0, 5.0))]
