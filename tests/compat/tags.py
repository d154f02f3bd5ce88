"""Tags: run with -T browse -E slow; only 'home' and 'list' must run."""

from fastswarm import HttpUser, constant, tag, task


class Shopper(HttpUser):
    wait_time = constant(0.01)

    @tag("browse")
    @task
    def home(self):
        self.client.get("/", name="home")

    @tag("browse", "api")
    @task
    def list(self):
        self.client.get("/bytes/10", name="list")

    @tag("browse", "slow")
    @task
    def slow(self):
        self.client.get("/delay/50", name="slow")

    @tag("checkout")
    @task
    def buy(self):
        self.client.post("/echo", json={}, name="buy")

    @task
    def untagged(self):
        self.client.get("/", name="untagged")
