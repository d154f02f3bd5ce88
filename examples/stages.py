"""A load shape in stages: warm up, peak, a buyers-only stage, cool down, then stop.

Run it against the built-in target (``fastswarm target --port 8080``):

    fastswarm -f examples/stages.py -H http://127.0.0.1:8080 --headless --processes 2

The shape, not -u/-r/-t, sets the users and says when the test ends. ``tick()`` is called
about ten times a second; each stage is applied when its value first appears.
"""

from fastswarm import HttpUser, LoadTestShape, between, task


class Browser(HttpUser):
    wait_time = between(0.05, 0.15)

    @task(3)
    def home(self):
        self.client.get("/")

    @task(1)
    def item(self):
        self.client.get(f"/bytes/{512 + self.user_id % 100}", name="/bytes/{size}")


class Buyer(HttpUser):
    wait_time = between(0.1, 0.3)

    @task
    def checkout(self):
        self.client.post("/echo", json={"cart": [1, 2, 3]})


class Stages(LoadTestShape):
    """Each stage lasts until its ``end`` (seconds since the start); None after the last."""

    stages = [
        {"end": 3, "users": 10, "spawn_rate": 10},
        {"end": 8, "users": 40, "spawn_rate": 20},
        {"end": 11, "users": 10, "spawn_rate": 20, "user_classes": [Buyer]},
        {"end": 14, "users": 5, "spawn_rate": 10},
    ]

    def tick(self):
        run_time = self.get_run_time()
        for stage in self.stages:
            if run_time < stage["end"]:
                if "user_classes" in stage:
                    return stage["users"], stage["spawn_rate"], stage["user_classes"]
                return stage["users"], stage["spawn_rate"]
        return None
