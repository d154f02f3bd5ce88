"""Shared command line and result line for the bare request loops (the floors fastswarm is measured against).

Each bare loop runs N greenlets, each doing GET / on its own keep-alive connection for T seconds, and
prints one JSON line: {"requests": completed, "failures": n, "duration": seconds measured}.
Imports only the standard library, so it works in both fastswarm's venv and bench/.locust-venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoopArgs:
    host: str
    port: int
    users: int
    duration: float

    def __post_init__(self) -> None:
        if self.users < 1:
            raise SystemExit("--users must be >= 1")
        if self.duration <= 0:
            raise SystemExit("--duration must be > 0")


def parse_args(description: str) -> LoopArgs:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", type=int, default=50, help="concurrent greenlets, one connection each")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to run")
    a = p.parse_args()
    return LoopArgs(a.host, a.port, a.users, a.duration)


@dataclass(slots=True)
class Counter:
    requests: int = 0
    failures: int = 0


def run_loops(args: LoopArgs, worker: Callable[[Counter, float], None]) -> None:
    """Run `worker(counter, deadline)` in args.users greenlets and print the JSON result line."""
    import gevent  # deferred: importing this module must not touch gevent

    counter = Counter()
    t0 = _now()
    deadline = t0 + args.duration
    greenlets = [gevent.spawn(worker, counter, deadline) for _ in range(args.users)]
    gevent.joinall(greenlets)
    elapsed = _now() - t0
    errors = [g.exception for g in greenlets if g.exception is not None]
    result: dict[str, object] = {
        "requests": counter.requests,
        "failures": counter.failures + len(errors),
        "duration": elapsed,
    }
    if errors:
        result["error"] = repr(errors[0])
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def _now() -> float:
    import time

    return time.monotonic()
