"""A custom wait_time method: 0.2 s between tasks, so each user makes about five requests a second."""

from fastswarm import HttpUser, task


class Patient(HttpUser):
    def wait_time(self):
        return 0.2

    @task
    def tick(self):
        self.client.get("/", name="tick")
