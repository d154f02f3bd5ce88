"""The seed's pre-test hooks: locust_start_hatching (workers) and master_start_hatching (master),
registered with += at import, each called exactly once per test, with no arguments."""

import os

import fastswarm as locust

LOG = os.environ.get("COMPAT_LOG")


def get_auth_token():
    with open(LOG, "a") as f:
        f.write(f"worker hatching {os.getpid()}\n")


def on_master():
    with open(LOG, "a") as f:
        f.write(f"master hatching {os.getpid()}\n")


locust.events.locust_start_hatching += get_auth_token
locust.events.master_start_hatching += on_master


class MyTasks(locust.TaskSet):
    @locust.task
    def do_get(self):
        self.client.get("/", name="home")


class MyLocust(locust.HttpUser):
    tasks = [MyTasks]
    wait_time = locust.constant(0.05)
