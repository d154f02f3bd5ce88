"""A request listener that raises StopUser stops the user whose request it saw (Locust's semantics)."""

from fastswarm import HttpUser, constant, events, task
from fastswarm.exception import StopUser


@events.request.add_listener
def stop_on_failure(exception, **kwargs):
    if exception is not None:
        raise StopUser()


class Fragile(HttpUser):
    wait_time = constant(0.01)

    @task
    def fail_then_go_on(self):
        self.client.get("/status/503", name="bad")
        self.client.get("/", name="after")
