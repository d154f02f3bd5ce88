"""Test data split across workers: each worker takes its slice, each user a unique id."""

import os

from fastswarm import User, constant, events, task

LOG = os.environ.get("COMPAT_LOG")
ACCOUNTS = [f"acct-{n}" for n in range(20)]


@events.test_start.add_listener
def pick_slice(environment, **kwargs):
    if environment.role == "worker":
        mine = ACCOUNTS[environment.worker_index :: environment.worker_count]
        environment.my_accounts = mine
        with open(LOG, "a") as f:
            f.write(f"slice {environment.worker_index} {environment.worker_count} {','.join(mine)}\n")


class Account(User):
    wait_time = constant(0.05)

    def on_start(self):
        with open(LOG, "a") as f:
            f.write(f"user {self.user_id} {self.environment.worker_index} {os.getpid()}\n")

    @task
    def use(self):
        with self.measure("use account", request_type="DATA"):
            _ = self.environment.my_accounts[self.user_id % len(self.environment.my_accounts)]
