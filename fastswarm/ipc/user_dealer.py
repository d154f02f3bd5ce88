"""The master's closed-model dealer: users per class in all, and each live worker's share.

MasterRunner owns one, as it owns an ``OpenPlanner`` for the open model. Shares come from
``engine/distribution.py`` (class weights, ``fixed_count``, fair remainders); the spawn
rate is split so that every worker's ramp ends together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastswarm.engine.distribution import split_across_workers, split_rate
from fastswarm.ipc.messages import Message, Spawn
from fastswarm.ipc.state import WorkerInfo


class UserDealer:
    """Deals one closed-model test's users out among the workers and sends each its ``Spawn``.

    ``send(identity, message)`` delivers to a worker; ``expected`` is how many workers the
    master waits for (each Spawn carries it). ``class_counts`` is the test's users per class
    in all workers, ``spawn_rate`` its total users started (or stopped) per second.
    """

    def __init__(self, send: Callable[[bytes, Message], object], expected: int, spawn_rate: float) -> None:
        self._send = send
        self.expected = expected
        self.spawn_rate = spawn_rate
        self.class_counts: dict[str, int] = {}

    def plan(self, class_counts: dict[str, int], spawn_rate: float) -> None:
        """The next test's users per class, ramped at ``spawn_rate`` in all; ``deal`` sends it."""
        self.class_counts, self.spawn_rate = class_counts, spawn_rate

    def deal(self, workers: Sequence[WorkerInfo], generation: int, host: str | None, from_zero: bool) -> int:
        """Send each of the live ``workers`` whose share changed a Spawn with it; returns how many.

        The spawn rate is split in proportion to each one's users when a test starts
        (``from_zero``), else to the users each one must start or stop, so moving users never
        goes faster than ``spawn_rate`` in all.
        """
        ordered = sorted(workers, key=lambda w: w.index)
        shares = split_across_workers(self.class_counts, len(ordered))
        totals = [sum(share.values()) for share in shares]
        had = [sum(w.share.values()) for w in ordered]
        moves = totals if from_zero else [abs(t - h) for t, h in zip(totals, had, strict=True)]
        rates = split_rate(self.spawn_rate, moves)
        sent = 0
        for worker, share, rate in zip(ordered, shares, rates, strict=True):
            if not from_zero and share == worker.share and worker.assigned_test == generation:
                continue
            worker.share, worker.assigned_test = share, generation
            worker.spawned = worker.stopped = False
            rate = rate or self.spawn_rate  # a worker with nothing to change still needs a rate > 0
            self._send(worker.identity, Spawn(share, rate, host, self.expected))
            sent += 1
        return sent

    def resend(self, worker: WorkerInfo, generation: int, host: str | None) -> None:
        """A worker that reconnected: its share again (its old connection may have lost it)."""
        if worker.assigned_test == generation:
            self._send(worker.identity, Spawn(worker.share, self.spawn_rate, host, self.expected))
