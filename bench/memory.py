"""Memory per idle user: N FastHttpUser (or HttpUser) users started in one process, all waiting.

    python bench/memory.py [--users 10000] [--client fast|http]

Each user is built and started the way a worker does it (``cls(environment)``, ``start(group)``),
runs one task that does no I/O, and then sleeps in its wait_time, so the figure is what a
spawned, idle user costs: its greenlet, the User, its client session and the task loop's
objects. The resident set size (VmRSS) is read before and after; the difference divided by N
is printed in KB. Goal (issue 3): <= 30 KB per idle user.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

import gevent
from gevent.pool import Group

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, uninstalled

from fastswarm import constant, task  # noqa: E402
from fastswarm.env import Environment  # noqa: E402
from fastswarm.http.fast_users import FastHttpUser  # noqa: E402
from fastswarm.http.users import HttpUser  # noqa: E402
from fastswarm.stats.recorder import Recorder  # noqa: E402


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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--client", choices=("fast", "http"), default="fast")
    a = p.parse_args()
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
