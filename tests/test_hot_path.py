"""The per-request shortcuts keep their meaning: inline HDR indexing, and zero waits that yield."""

from __future__ import annotations

import random
from typing import Any

import gevent
import pytest
from gevent.pool import Group
from hdrh.histogram import HdrHistogram

from fastswarm import User, constant, task
from fastswarm.env import Environment
from fastswarm.stats.histogram import HIGHEST_US, LatencyHistogram


def test_inline_record_matches_hdrh_exactly() -> None:
    edges = [2**k + d for k in range(33) for d in (-1, 0, 1) if 1 <= 2**k + d <= HIGHEST_US]
    rng = random.Random(7)
    values = [
        1,
        1023,
        1024,
        2047,
        2048,
        HIGHEST_US,
        *edges,
        *(rng.randrange(1, HIGHEST_US) for _ in range(5000)),
    ]
    ours, theirs = LatencyHistogram(), HdrHistogram(1, HIGHEST_US, 3)
    for v in values:
        ours.record(v)
        theirs.record_value(v)
    assert list(ours._h.counts) == list(theirs.counts)
    assert (ours.count, ours.min, ours.max) == (
        theirs.total_count,
        theirs.get_min_value(),
        theirs.get_max_value(),
    )
    assert ours.percentile(99.0) == theirs.get_value_at_percentile(99.0)


def test_inline_record_clamps_and_survives_reset() -> None:
    h = LatencyHistogram()
    h.record(0)
    h.record(HIGHEST_US * 2)
    assert (h.count, h.min, h.out_of_range) == (2, 1, 1)
    h.reset()
    h.record(500)
    assert (h.count, h.min, h.percentile(50)) == (1, 500, 500)
    assert LatencyHistogram.from_bytes(h.to_bytes()).percentile(50) == 500


def test_zero_wait_users_that_never_block_still_take_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[int] = []

    class Busy(User):
        wait_time = constant(0)

        @task
        def spin(self) -> None:
            runs.append(self.user_id)  # no I/O: only the wait lets the other user run

    env = Environment()
    group = Group()
    users = [Busy(env) for _ in range(2)]
    for i, u in enumerate(users):
        u.user_id = i
        u.start(group)
    gevent.sleep(0.05)
    for u in users:
        u.stop(force=True)
    group.join(timeout=5)
    assert runs.count(0) > 10 and runs.count(1) > 10
    # Taking turns: never three tasks of one user in a row (its very first wait may skip).
    assert not any(a == b == c for a, b, c in zip(runs, runs[1:], runs[2:], strict=False))


def test_zero_wait_after_a_blocking_task_skips_the_extra_yield(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    real_sleep = gevent.sleep

    def counting_sleep(seconds: float = 0, **kw: Any) -> None:
        sleeps.append(seconds)
        real_sleep(seconds, **kw)

    done: list[int] = []

    class Waiter(User):
        wait_time = constant(0)

        @task
        def block(self) -> None:
            real_sleep(0.001)  # stands for a read that waited on the network
            done.append(1)

    env = Environment()
    group = Group()
    user = Waiter(env)
    monkeypatch.setattr(gevent, "sleep", counting_sleep)
    user.start(group)
    real_sleep(0.1)
    user.stop(force=True)
    group.join(timeout=5)
    assert len(done) > 5
    assert sleeps.count(0) <= 1  # the loop turned during every task: no sleep(0) after them
