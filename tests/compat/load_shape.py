"""A LoadTestShape that changes the user count twice; test_start must fire once per process."""

import os

from fastswarm import HttpUser, LoadTestShape, constant, events, task

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


@events.test_start.add_listener
def on_test_start(environment, **kwargs):
    log(f"test_start {environment.role}")


@events.spawning_complete.add_listener
def on_spawned(user_count, **kwargs):
    log(f"spawned {user_count}")


class Walker(HttpUser):
    wait_time = constant(0.05)

    @task
    def walk(self):
        self.client.get("/", name="walk")


class Steps(LoadTestShape):
    stages = [(0.6, 2), (1.2, 6), (1.8, 3)]

    def tick(self):
        run_time = self.get_run_time()
        for end, users in self.stages:
            if run_time < end:
                return users, 50
        return None
