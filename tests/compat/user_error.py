"""A task that raises: counted as a user error, user_error fires, the user carries on."""

import os

from fastswarm import HttpUser, constant, events, task

LOG = os.environ.get("COMPAT_LOG")


@events.user_error.add_listener
def on_user_error(user_instance, exception, tb, **kwargs):
    with open(LOG, "a") as f:
        f.write(f"user_error {type(exception).__name__} {tb is not None}\n")


class Clumsy(HttpUser):
    wait_time = constant(0.05)

    @task
    def ok(self):
        self.client.get("/", name="ok")

    @task
    def broken(self):
        {}["missing"]
