"""Micro-benchmark of ``Recorder.record``, the per-request stats path.

Run: ``.venv/bin/python bench/bench_recorder.py [--n 1000000]``. Prints µs per call for a
success-only mix and for a mix with 5% failures, over 20 endpoints with lognormal latencies.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, uninstalled

from fastswarm.stats.open_stats import ArrivalCounters  # noqa: E402
from fastswarm.stats.recorder import Recorder  # noqa: E402


def _bench(n: int, failure_rate: float, open_model: bool = False) -> float:
    rng = random.Random(1)
    names = [f"/api/item/{i}" for i in range(20)]
    calls = [
        (
            "GET" if i % 4 else "POST",
            names[i % len(names)],
            int(rng.lognormvariate(8, 1.2)),
            rng.randrange(100, 5000),
            "HTTPError 500" if rng.random() < failure_rate else None,
        )
        for i in range(10_000)
    ]
    rec = Recorder()
    if open_model:  # corrected latency too, as in an open-model run (planned 1 ms ago)
        planned = time.perf_counter() - 0.001
        rec.enable_open_model(lambda: planned, ArrivalCounters())
    record = rec.record
    reps = max(1, n // len(calls))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            for method, name, us, length, err in calls:
                record(method, name, us, length, err)
        best = min(best, time.perf_counter() - t0)
        rec.take_interval()
    return best / (reps * len(calls)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="calls per measurement")
    args = parser.parse_args()
    print(f"Recorder.record, successes only: {_bench(args.n, 0.0):.3f} µs/call")
    print(f"Recorder.record, 5% failures:    {_bench(args.n, 0.05):.3f} µs/call")
    print(f"Recorder.record, open model:     {_bench(args.n, 0.0, open_model=True):.3f} µs/call")


if __name__ == "__main__":
    main()
