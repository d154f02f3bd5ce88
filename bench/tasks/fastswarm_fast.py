"""fastswarm FastHttpUser: one task, GET /, no wait."""

from __future__ import annotations

from fastswarm import constant, task
from fastswarm.contrib.fasthttp import FastHttpUser


class Bench(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")
