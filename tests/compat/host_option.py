"""Locust copies -H into every user class before spawning: a plain User (no client) reading
self.host sees it, a class with its own host is overridden by it, and the master's classes too."""

import os

from fastswarm import User, constant, events, task
from fastswarm.runners import MasterRunner

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Plain(User):
    wait_time = constant(0.05)

    @task
    def look(self):
        with self.measure("plain"):
            log(f"user Plain {self.host}")


class Own(User):
    host = "http://own-host.invalid"
    wait_time = constant(0.05)

    @task
    def look(self):
        with self.measure("own"):
            log(f"user Own {self.host}")


@events.test_start.add_listener
def on_start(environment, **_kw):
    if isinstance(environment.runner, MasterRunner):
        log(f"master {Plain.host} {Own.host} {environment.host}")
