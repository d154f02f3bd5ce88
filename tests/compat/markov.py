"""MarkovTaskSet (Locust 2.4x): a weighted chain of @transition / @transitions, from the first task."""

import os

from fastswarm import HttpUser, MarkovTaskSet, constant, transition, transitions

LOG = os.environ.get("COMPAT_LOG")


class Shopper(MarkovTaskSet):
    def _step(self, name):
        self.client.get("/", name=name)
        if LOG:
            with open(LOG, "a") as f:
                f.write(f"{self.user.user_id} {name}\n")

    @transition("browse")
    def home(self):
        self._step("home")

    @transition("browse", weight=3)
    @transition("cart", weight=1)
    def browse(self):
        self._step("browse")

    @transitions([("home", 1), "browse"])
    def cart(self):
        self._step("cart")


class Buyer(HttpUser):
    wait_time = constant(0.005)
    tasks = [Shopper]
