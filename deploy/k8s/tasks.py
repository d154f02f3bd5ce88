"""The tasks file the pods run (a copy of examples/demo.py): replace it with yours."""

from fastswarm import HttpUser, between, task


class Browser(HttpUser):
    wait_time = between(0.05, 0.15)

    @task(5)
    def home(self):
        self.client.get("/")

    @task(3)
    def item(self):
        item_id = self.user_id % 100
        self.client.get(f"/bytes/{512 + item_id}", name="/bytes/{size}")

    @task(1)
    def slow_search(self):
        self.client.get("/delay/20", name="/delay/{ms}")


class Buyer(HttpUser):
    weight = 1
    wait_time = between(0.1, 0.3)

    @task
    def checkout(self):
        with self.client.post("/echo", json={"cart": [1, 2, 3]}, catch_response=True) as response:
            if response.json().get("cart") != [1, 2, 3]:
                response.failure("cart not echoed")
