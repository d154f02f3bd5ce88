"""Steady-state CPU per request of the framework path, in one process, with an optional profile.

    python bench/profile_users.py --port PORT [--client fast|http] [--users 50] [--duration 5] [--profile]

Runs ``--users`` FastHttpUser (or HttpUser) users doing GET / with no wait against a server
already listening on 127.0.0.1:PORT (bench/nginx.sh starts one), with the real Recorder and a
report every second, and prints CPU µs per request measured after a one-second warm-up, so
start-up costs are left out. ``--profile`` adds a cProfile listing of the hottest functions.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Group  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastswarm import constant, task  # noqa: E402
from fastswarm.env import Environment  # noqa: E402
from fastswarm.http.fast_users import FastHttpUser  # noqa: E402
from fastswarm.http.users import HttpUser  # noqa: E402
from fastswarm.stats.recorder import Recorder  # noqa: E402


class FastBench(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")


class HttpBench(HttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--client", choices=("fast", "http"), default="fast")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    rec = Recorder()
    env = Environment(role="worker", host=f"http://127.0.0.1:{a.port}", recorder=rec)
    env.events.request.bind(rec)
    cls = FastBench if a.client == "fast" else HttpBench
    group = Group()
    users = [cls(env) for _ in range(a.users)]
    for u in users:
        u.start(group)

    total = [0]

    def flush() -> None:
        total[0] += sum(e.requests for e in rec.take_interval().entries)

    def reporter() -> None:
        while True:
            gevent.sleep(1.0)
            flush()

    gevent.spawn(reporter)
    gevent.sleep(1.0)
    flush()
    base = total[0]
    prof = cProfile.Profile() if a.profile else None
    c0, t0 = _cpu(), time.perf_counter()
    if prof:
        prof.enable()
    gevent.sleep(a.duration)
    if prof:
        prof.disable()
    c1, t1 = _cpu(), time.perf_counter()
    flush()
    done = total[0] - base
    for u in users:
        u.stop(force=True)
    group.join(timeout=5)
    print(
        f"{a.client}: {done:,} req in {t1 - t0:.2f}s = {done / (t1 - t0):,.0f} req/s, "
        f"{(c1 - c0) * 1e6 / max(done, 1):.1f} CPU µs/req"
    )
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
