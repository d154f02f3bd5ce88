"""Locust 2.4x's rest helper for JSON APIs, on FastHttpUser and HttpUser."""

from fastswarm import HttpUser, constant, task
from fastswarm.contrib.fasthttp import FastHttpUser, RestResponseContextManager


class Api(FastHttpUser):
    wait_time = constant(0.02)

    @task
    def echo(self):
        with self.rest("POST", "/anything", json={"n": 1}, name="echo") as resp:
            assert isinstance(resp, RestResponseContextManager)
            if resp.js["json"]["n"] != 1 or resp.js["headers"]["Accept"] != "application/json":
                resp.failure(f"unexpected echo {resp.text}")

    @task
    def missing_key(self):
        with self.rest("GET", "/anything", name="missing key") as resp:
            resp.js["no such key"]  # fails this request; the task goes on

    @task
    def text_body(self):
        with self.rest("GET", "/", name="text body"):
            pass  # "ok" is not JSON: failed without a word from the task


class Stamped(HttpUser):
    wait_time = constant(0.02)

    @task
    def cache_busting(self):
        with self.rest_("GET", "/anything") as resp:
            assert resp.js["args"]["_"].isdigit(), "no timestamp,"
