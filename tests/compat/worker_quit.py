"""A worker's tasks file calls ``environment.runner.quit()``: that worker stops its users and
leaves; the master hands its users to the other worker and the run goes on."""

import os

import gevent

from fastswarm import FastHttpUser, constant, events, task
from fastswarm.runners import STATE_MISSING, MasterRunner

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Reader(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def read(self):
        self.client.get("/bytes/8", name="read")


@events.test_start.add_listener
def on_test_start(environment, **_kw):
    if environment.role == "worker" and environment.worker_index == 1:
        gevent.spawn_later(0.3, environment.runner.quit)


@events.test_stopping.add_listener
def on_stopping(environment, **_kw):
    runner = environment.runner
    if isinstance(runner, MasterRunner):  # before the stop: who runs the users now
        nodes = sorted((n.index, n.state == STATE_MISSING, n.user_count) for n in runner.clients.values())
        log(f"master {nodes} {runner.user_count}")


@events.quit.add_listener
def on_quit(exit_code, **_kw):
    from fastswarm.user.env import current

    runner = current().runner
    log(f"{current().role} {getattr(runner, 'worker_index', '-')} quit {exit_code} {runner.user_count}")
