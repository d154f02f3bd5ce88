"""SequentialTaskSet: steps in declaration order, round and round."""

import os

from fastswarm import HttpUser, SequentialTaskSet, constant, task

LOG = os.environ.get("COMPAT_LOG")


class Checkout(SequentialTaskSet):
    def _step(self, name):
        self.client.get("/", name=name)
        if LOG:
            with open(LOG, "a") as f:
                f.write(f"{self.user.user_id} {name}\n")

    @task
    def first(self):
        self._step("1-cart")

    @task
    def second(self):
        self._step("2-address")

    @task
    def third(self):
        self._step("3-pay")


class Buyer(HttpUser):
    wait_time = constant(0.01)
    tasks = [Checkout]
