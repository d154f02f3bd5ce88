"""An exception inside a catch_response block: Locust records the request only if the block
had already judged it; the exception itself reaches the task (a user error)."""

import os

from fastswarm import HttpUser, constant, task
from fastswarm.contrib.fasthttp import FastHttpUser

LOG = os.environ.get("COMPAT_LOG")


def attempt(client, kind, judged):
    with open(LOG, "a") as f:
        f.write(f"{kind} {'judged' if judged else 'unjudged'}\n")
    with client.get("/", name=f"{kind} judged" if judged else f"{kind} unjudged", catch_response=True) as r:
        if judged:
            r.failure("judged first")
        raise KeyError("task bug")


class Plain(HttpUser):
    wait_time = constant(0.02)

    @task
    def unjudged(self):
        attempt(self.client, "plain", False)

    @task
    def judged(self):
        attempt(self.client, "plain", True)


class Fast(FastHttpUser):
    wait_time = constant(0.02)

    @task
    def unjudged(self):
        attempt(self.client, "fast", False)

    @task
    def judged(self):
        attempt(self.client, "fast", True)
