"""The seed's first example, as written for old Locust: HttpLocust, task_set, min_wait/max_wait.

Only the import changed (``import locust`` -> ``import fastswarm as locust``); the URL gets
the built-in target's /anything prefix and the name grouping from the seed's tip.
"""

import uuid

import fastswarm as locust


class MyTaskSet(locust.TaskSet):
    @locust.task
    def do_get(self):
        self.client.get(f"/anything/resources/{uuid.uuid4()}", name="/resources/UUID")


class MyLocust(locust.HttpLocust):
    task_set = MyTaskSet

    min_wait = 90
    max_wait = 110

    host = "http://localhost:8000"
