"""Locust's stats objects from a tasks file: RequestStats over the master's merged run (read at
test_stop, checked against the JSON report) and over a worker's own interval (read in a task),
with stats_printer and stats_history spawned as greenlets on the master."""

import os
import sys

import gevent

from fastswarm import HttpUser, constant, events, task
from fastswarm.runners import MasterRunner
from fastswarm.stats import RequestStats, stats_history, stats_printer

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Charted:
    """What stats_history reads of a runner: its stats, state and user count."""

    def __init__(self, runner):
        self.runner = runner
        self.stats = RequestStats(runner.aggregator)

    @property
    def state(self):
        return self.runner.state

    @property
    def user_count(self):
        return self.runner.user_count


charted = None


@events.test_start.add_listener
def on_start(environment, **kwargs):
    global charted
    if isinstance(environment.runner, MasterRunner):
        charted = Charted(environment.runner)
        gevent.spawn(stats_printer(charted.stats, interval=0.2, rounds=3, out=sys.stdout))
        gevent.spawn(stats_history, charted, 0.2, 3)


@events.test_stop.add_listener
def on_stop(environment, **kwargs):
    if charted is None:
        return
    total = charted.stats.total
    home = charted.stats.get("home", "GET")
    log(f"total {total.num_requests} {total.num_failures} {total.fail_ratio:.6f}")
    log(
        f"home {home.num_requests} {home.get_response_time_percentile(0.95):.3f} {home.max_response_time:.3f}"
    )
    log(f"entries {sorted(charted.stats.entries)}")
    log(f"errors {sorted((e.name, e.error, e.occurrences) for e in charted.stats.errors.values())}")
    log(f"history {len(charted.stats.history)}")


class Reader(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def home(self):
        self.client.get("/", name="home")
        mine = RequestStats(self.environment.recorder).get("home", "GET")
        log(f"worker sees {mine.num_requests}")

    @task
    def missing(self):
        self.client.get("/status/404", name="missing")
