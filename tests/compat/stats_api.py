"""Locust's stats objects from a tasks file: runner.stats (a RequestStats) over the master's merged
run (read at test_stop, checked against the JSON report) and over a worker's own interval (read in a
task, as environment.stats), with stats_printer and stats_history spawned as greenlets on the master."""

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


@events.test_start.add_listener
def on_start(environment, **kwargs):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        gevent.spawn(stats_printer(environment.stats, interval=0.2, rounds=3, out=sys.stdout))
        gevent.spawn(stats_history, runner, 0.2, 3)


@events.test_stop.add_listener
def on_stop(environment, **kwargs):
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    stats = runner.stats
    total = stats.total
    home = stats.get("home", "GET")
    log(f"same {isinstance(stats, RequestStats) and environment.stats is stats}")
    log(f"total {total.num_requests} {total.num_failures} {total.fail_ratio:.6f}")
    log(
        f"home {home.num_requests} {home.get_response_time_percentile(0.95):.3f} {home.max_response_time:.3f}"
    )
    log(f"entries {sorted(stats.entries)}")
    log(f"errors {sorted((e.name, e.error, e.occurrences) for e in stats.errors.values())}")
    log(f"history {len(stats.history)}")


class Reader(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def home(self):
        self.client.get("/", name="home")
        mine = self.environment.stats
        assert isinstance(mine, RequestStats) and mine is self.environment.runner.stats
        log(f"worker sees {mine.get('home', 'GET').num_requests}")

    @task
    def missing(self):
        self.client.get("/status/404", name="missing")
