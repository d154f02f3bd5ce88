"""Locust's "use as a library" example: a plain script, no command line.

Run as ``python library_use.py URL``: 5 users for about 2 s, then it quits; prints what it
saw as ``key value`` lines for the test to check.
"""

import sys

import gevent

from fastswarm import FastHttpUser, between, events, task
from fastswarm.env import Environment
from fastswarm.runners import STATE_INIT, STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED, LocalRunner

states = []
seen = {"test_start": 0, "test_stop": 0, "spawning_complete": 0}


class Browser(FastHttpUser):
    wait_time = between(0.01, 0.02)

    @task
    def page(self):
        self.client.get("/bytes/10", name="page")


@events.test_start.add_listener
def on_start(environment, **_kw):
    seen["test_start"] += 1


@events.test_stop.add_listener
def on_stop(environment, **_kw):
    seen["test_stop"] += 1


@events.spawning_complete.add_listener
def on_spawned(user_count, **_kw):
    seen["spawning_complete"] = user_count


def watch(runner):
    while True:
        if not states or states[-1] != runner.state:
            states.append(runner.state)
        gevent.sleep(0.01)


# stop_timeout: each user finishes the request in hand at the stop (else "interrupted at stop" fails it)
env = Environment(user_classes=[Browser], host=sys.argv[1], events=events, stop_timeout=5)
stopping_state = []
events.test_stopping.add_listener(lambda environment, **_kw: stopping_state.append(environment.runner.state))
before = env.stats.total.num_requests
runner = env.create_local_runner()
assert isinstance(runner, LocalRunner) and env.runner is runner and runner.state == STATE_INIT
watcher = gevent.spawn(watch, runner)
runner.start(5, spawn_rate=50)
spawning = runner.spawning_greenlet
gevent.spawn_later(2, runner.quit)
runner.greenlet.join()
gevent.sleep(0.05)
watcher.kill()
total = env.stats.total
print("before", before)
print("requests", total.num_requests)
print("page", env.stats.entries[("page", "GET")].num_requests)
print("failures", total.num_failures, total.fail_ratio == total.num_failures / total.num_requests)
print("avg_ms_positive", total.avg_response_time > 0)
print("p95_ms_positive", total.get_response_time_percentile(0.95) > 0)
print("users", runner.user_count, runner.target_user_count)
print("spawning_done", spawning is not None and spawning.dead)
print("states", " ".join(str(s) for s in states))
print("events", seen["test_start"], seen["test_stop"], seen["spawning_complete"])
print("stopped", runner.state == STATE_STOPPED, STATE_SPAWNING in states, STATE_RUNNING in states)
print("stopping_state", *stopping_state)
print("errors", sorted({e.error for e in env.stats.errors.values()}))
