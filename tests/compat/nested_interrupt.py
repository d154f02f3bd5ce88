"""Nested TaskSets: the inner set runs a few tasks, then interrupt() returns to the outer."""

from fastswarm import HttpUser, TaskSet, constant, task


class Inner(TaskSet):
    def on_start(self):
        self.count = 0

    @task
    def inner_task(self):
        self.client.get("/", name="inner")
        self.count += 1
        if self.count >= 2:
            self.interrupt()


class Outer(TaskSet):
    tasks = {Inner: 1}

    @task(1)
    def outer_task(self):
        self.client.get("/", name="outer")


class Visitor(HttpUser):
    wait_time = constant(0.005)
    tasks = [Outer]
