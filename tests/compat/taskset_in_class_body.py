"""A TaskSet class written inside a User's body and decorated with @task is one of its tasks."""

from fastswarm import HttpUser, TaskSet, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.01)

    @task(3)
    class Forum(TaskSet):
        @task
        def thread(self):
            self.client.get("/", name="forum thread")
            self.interrupt()

    @task
    def front(self):
        self.client.get("/", name="front page")
