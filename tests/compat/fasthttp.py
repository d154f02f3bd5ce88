"""FastHttpUser, imported the way Locust spells it, with RescheduleTask from the exception module."""

from fastswarm import constant, task
from fastswarm.contrib.fasthttp import FastHttpUser
from fastswarm.exception import RescheduleTask


class Quick(FastHttpUser):
    wait_time = constant(0.005)

    @task(3)
    def fast(self):
        self.client.get("/bytes/64", name="fast")

    @task(1)
    def skip(self):
        raise RescheduleTask()
