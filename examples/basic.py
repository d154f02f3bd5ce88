"""The smallest useful tasks file: one user, two weighted tasks."""

from fastswarm import HttpUser, between, task


class WebsiteUser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(3)
    def index(self):
        self.client.get("/")

    @task
    def payload(self):
        self.client.get("/bytes/1024", name="/bytes/{n}")
