"""Memory per idle user, or per request name in the master and in a worker.

    python bench/memory.py [--users 10000] [--client fast|http]
    python bench/memory.py --names 100,1000,5000 [--workers 4] [--seconds 3] [--samples 10]

Per idle user: each user is built and started the way a worker does it (``cls(environment)``,
``start(group)``), runs one task that does no I/O, and then sleeps in its wait_time, so the
figure is what a spawned, idle user costs: its greenlet, the User, its client session and the
task loop's objects. The resident set size (VmRSS) is read before and after; the difference
divided by N is printed in KB. Goal (issue 3): <= 30 KB per idle user.

Per name (``--names``; issue 11): each figure comes from a fresh process (RSS never shrinks),
measured three ways: under tracemalloc (Python and numpy allocations), as RSS, and as RSS
after glibc's ``malloc_trim`` (what is held, without freed fragments the heap kept).
The master's figure is an Aggregator fed N names by ``--workers`` recorders for ``--seconds``
intervals, each one encoded and decoded as a real StatsReport; the worker's is one Recorder
with ``--samples`` requests recorded for each of N names (before its interval is taken, when
its histograms are fullest). Latencies are lognormal around 8 ms. Each row shows the bytes
grown divided by N (fixed costs included: the totals' and live seconds' counters, a scratch
histogram), then the cost of each added name: the slope from the smallest N, which the goals
are judged on: <= 16 KB a name in the master, <= 8 KB a name per worker. 1 KB = 1024 bytes.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import inspect
import json
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Group

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, uninstalled

from fastswarm import constant, task  # noqa: E402
from fastswarm.env import Environment  # noqa: E402
from fastswarm.http.fast_users import FastHttpUser  # noqa: E402
from fastswarm.http.users import HttpUser  # noqa: E402
from fastswarm.ipc import wire  # noqa: E402
from fastswarm.ipc.messages import StatsReport  # noqa: E402
from fastswarm.stats.aggregator import Aggregator  # noqa: E402
from fastswarm.stats.recorder import Recorder  # noqa: E402

MASTER_GOAL_KB = 16
WORKER_GOAL_KB = 8


class IdleFast(FastHttpUser):
    wait_time = constant(3600)

    @task
    def nothing(self) -> None:
        pass


class IdleHttp(HttpUser):
    wait_time = constant(3600)

    @task
    def nothing(self) -> None:
        pass


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _record_names(rec: Recorder, n: int, samples: int, rng: random.Random) -> None:
    for i in range(n):
        method, name = ("GET" if i % 4 else "POST"), f"/api/v1/resource/{i}"
        for _ in range(samples):
            rec.record(method, name, int(rng.lognormvariate(9, 0.8)), 512)


def _master_frames(n: int, workers: int, seconds: int, samples: int) -> list[list[list[bytes]]]:
    """Per second, each worker's StatsReport frames, as the master receives them."""
    rng = random.Random(5)
    recorders = [Recorder(**_uncapped(Recorder, n)) for _ in range(workers)]
    out = []
    for s in range(seconds):
        second = []
        for w, rec in enumerate(recorders):
            rec.reset(now=1_000.0 + s + w * 0.01)
            _record_names(rec, n, samples, rng)
            interval = rec.take_interval(now=1_001.0 + s + w * 0.01)
            second.append(wire.encode(StatsReport(interval, 10)))
        out.append(second)
    return out


def _uncapped(cls: type, n: int) -> dict[str, Any]:
    """Keyword arguments that let ``cls`` keep ``n`` distinct names (when it has a cap)."""
    return {"max_names": n} if "max_names" in inspect.signature(cls).parameters else {}


def _trim() -> None:
    """Hand freed heap back to the kernel (glibc), so RSS shows what is held, not fragments."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _measure(side: str, n: int, workers: int, seconds: int, samples: int, mode: str) -> int:
    """Bytes the master's Aggregator (or a worker's Recorder) grew by for ``n`` names:
    traced (mode "trace"), RSS ("rss") or RSS after ``malloc_trim`` ("trim")."""
    trace = mode == "trace"
    frames = _master_frames(n, workers, seconds, samples) if side == "master" else []
    gc.collect()
    _trim()
    if trace:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if trace else _rss_kb() * 1024
    keep: Any
    if side == "master":
        keep = agg = Aggregator(**_uncapped(Aggregator, n))
        agg.start(1_000.0)
        for second in frames:
            for w, fr in enumerate(second):
                msg = wire.decode(fr)
                assert isinstance(msg, StatsReport)
                agg.add(f"w{w}", msg.interval)
        agg.endpoint_rows()  # a console refresh: what its reads keep
        assert len(agg.endpoint_rows()) == n
    else:
        keep = rec = Recorder(**_uncapped(Recorder, n))
        _record_names(rec, n, samples, random.Random(6))
    gc.collect()
    if mode == "trim":
        _trim()
    after = tracemalloc.get_traced_memory()[0] if trace else _rss_kb() * 1024
    del keep, frames
    return after - before


def _per_name(a: argparse.Namespace) -> None:
    counts = [int(x) for x in a.names.split(",")]
    modes = ("trace", "rss", "trim")
    print(
        f"per request name: master = Aggregator fed {a.workers} workers x {a.seconds} intervals x "
        f"{a.samples} samples a name; worker = Recorder with {a.samples} samples a name"
    )
    print(f"{'names':>14} | {'master KB/name':^32} | {'worker KB/name':^32}")
    print(f"{'':>14} | {'traced':>10}{'RSS':>11}{'RSS trim':>11} | {'traced':>10}{'RSS':>11}{'RSS trim':>11}")
    grew: dict[int, list[int]] = {}

    def line(label: str, kb: list[float]) -> None:
        m, w = "".join(f"{k:>11.1f}" for k in kb[:3]), "".join(f"{k:>11.1f}" for k in kb[3:])
        print(f"{label:>14} |{m[1:]:>32} |{w[1:]:>32}")

    for n in counts:
        cells = []
        for side in ("master", "worker"):
            for mode in modes:
                cmd = [sys.executable, __file__, "--child", side, mode, str(n)]
                cmd += ["--workers", str(a.workers), "--seconds", str(a.seconds), "--samples", str(a.samples)]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                cells.append(json.loads(done.stdout.splitlines()[-1])["bytes"])
        grew[n] = cells
        line(f"{n:,}", [c / n / 1024 for c in cells])
    # The cost of one more name: the slope from the smallest count (fixed costs cancel out).
    worst = {"master": 0.0, "worker": 0.0}
    lo = counts[0]
    for n in counts[1:]:
        kb = [(g - f) / (n - lo) / 1024 for g, f in zip(grew[n], grew[lo], strict=True)]
        line(f"+{n - lo:,} names", kb)
        worst["master"] = max(worst["master"], kb[0], kb[2])
        worst["worker"] = max(worst["worker"], kb[3], kb[5])
    for side, goal in (("master", MASTER_GOAL_KB), ("worker", WORKER_GOAL_KB)):
        met = "met" if worst[side] <= goal else "NOT met"
        most = f"{worst[side]:.1f} KB per added name (traced, or trimmed RSS)"
        print(f"{side}: at most {most}; goal <= {goal} KB: {met}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--client", choices=("fast", "http"), default="fast")
    p.add_argument("--names", default=None, help="per-name mode: comma-separated name counts (100,1000,5000)")
    p.add_argument("--workers", type=int, default=4, help="per-name mode: workers reporting to the master")
    p.add_argument("--seconds", type=int, default=3, help="per-name mode: report intervals per worker")
    p.add_argument("--samples", type=int, default=10, help="per-name mode: requests a name per interval")
    p.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        side, mode, n = a.child
        grew = _measure(side, int(n), a.workers, a.seconds, a.samples, mode)
        print(json.dumps({"bytes": grew}))
        return
    if a.names:
        _per_name(a)
        return
    cls = IdleFast if a.client == "fast" else IdleHttp
    env = Environment(role="worker", host="http://127.0.0.1:9", recorder=Recorder())
    group = Group()
    warm = [cls(env) for _ in range(10)]  # first use loads lazily imported code: not per user
    for u in warm:
        u.start(group)
    gevent.sleep(0.2)
    gc.collect()
    before = _rss_kb()
    users = [cls(env) for _ in range(a.users)]
    for u in users:
        u.start(group)
    gevent.sleep(1.0)  # every user has run its task and is asleep in wait_time
    gc.collect()
    after = _rss_kb()
    waiting = sum(1 for u in users if u.state.value == "waiting")
    per_user = (after - before) / a.users
    print(
        f"{a.users:,} idle {cls.__mro__[1].__name__} users ({waiting:,} waiting): "
        f"RSS {before:,} -> {after:,} KB"
    )
    print(f"{per_user:.1f} KB per idle user (goal <= 30 KB: {'met' if per_user <= 30 else 'NOT met'})")
    group.kill(block=True, timeout=10)


if __name__ == "__main__":
    main()
