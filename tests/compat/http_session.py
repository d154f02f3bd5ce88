"""A second client built by hand with Locust's HttpSession constructor, in a plain User."""

from fastswarm import User, constant, task
from fastswarm.clients import HttpSession


class ByHand(User):
    wait_time = constant(0.02)

    def on_start(self):
        base = self.environment.host or self.host
        self.api = HttpSession(base_url=base, request_event=self.environment.events.request, user=self)

    @task(3)
    def call(self):
        self.api.get("/anything", name="by hand")

    @task
    def missing(self):
        self.api.get("/status/404", name="by hand 404")
