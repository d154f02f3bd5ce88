"""name=: many URLs, one row in the report."""

import random

from fastswarm import HttpUser, constant, task


class Reader(HttpUser):
    wait_time = constant(0.005)

    @task
    def item(self):
        self.client.get(f"/bytes/{random.randint(1, 500)}", name="/bytes/[n]")
