"""catch_response: a 404 that is expected, and a 200 whose body is wrong."""

from fastswarm import HttpUser, constant, task


class Validator(HttpUser):
    wait_time = constant(0.01)

    @task
    def expected_404(self):
        with self.client.get("/status/404", catch_response=True, name="expected-404") as r:
            if r.status_code == 404:
                r.success()

    @task
    def wrong_body(self):
        with self.client.get("/", catch_response=True, name="wrong-body") as r:
            if "never there" not in r.text:
                r.failure("body check failed")
