"""fastswarm HttpUser (urllib3 client): one task, GET /, no wait."""

from __future__ import annotations

from fastswarm import HttpUser, constant, task


class Bench(HttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")
