"""Locust FastHttpUser (geventhttpclient): one task, GET /, no wait. Runs in bench/.locust-venv."""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class Bench(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")
