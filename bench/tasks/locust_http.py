"""Locust HttpUser (requests client): one task, GET /, no wait. Runs in bench/.locust-venv."""

from __future__ import annotations

from locust import HttpUser, constant, task


class Bench(HttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")
