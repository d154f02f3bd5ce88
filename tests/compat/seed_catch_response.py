"""The seed's catch_response example, against the built-in target's /jobs."""

import uuid

import fastswarm as locust


class MyTasks(locust.TaskSet):
    def __init__(self, *args, **kwargs):
        super(MyTasks, self).__init__(*args, **kwargs)  # noqa: UP008 - as the seed wrote it
        # Each locust user gets a different id
        self.random_id = str(uuid.uuid4())

    @locust.task
    def post_and_check(self):
        job = self.client.post("/jobs", json={"delay_ms": 0}).json()
        with self.client.get(f"/jobs/{job['id']}", catch_response=True, name="/jobs/ID") as post_resp:
            if post_resp.json()["status"] == "ACTIVE":
                post_resp.success()
            elif post_resp.json()["status"] == "ERROR":
                post_resp.failure("Saw ERROR status")
            else:
                post_resp.failure("Unknown error")


class MyLocust(locust.HttpUser):
    tasks = [MyTasks]
    wait_time = locust.constant(0.05)
