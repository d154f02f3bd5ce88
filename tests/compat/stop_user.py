"""StopUser: each user makes three requests and stops for good."""

from fastswarm import HttpUser, constant, task
from fastswarm.exception import StopUser


class ThreeAndOut(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.done = 0

    @task
    def limited(self):
        if self.done >= 3:
            raise StopUser()
        self.done += 1
        self.client.get("/", name="limited")
