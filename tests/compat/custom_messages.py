"""Custom messages both ways (Locust's documented example): the master hands each worker
its users' data; each worker acknowledges how many it got."""

import os

from fastswarm import User, constant, events, task
from fastswarm.runners import MasterRunner, WorkerRunner

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


def setup_test_users(environment, msg, **kwargs):
    environment.test_users = msg.data
    log(f"worker {environment.worker_index} got {msg.data}")
    environment.runner.send_message("acknowledge_users", f"{environment.worker_index}:{len(msg.data)}")


def on_acknowledge(environment, msg, **kwargs):
    log(f"master ack {msg.data} from {msg.node_id}")


@events.init.add_listener
def on_locust_init(environment, **_kwargs):
    if not isinstance(environment.runner, MasterRunner):
        environment.runner.register_message("test_users", setup_test_users)
    if not isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message("acknowledge_users", on_acknowledge)


@events.test_start.add_listener
def on_test_start(environment, **_kwargs):
    if isinstance(environment.runner, MasterRunner):
        workers = sorted(environment.runner.workers.values(), key=lambda w: w.index)
        for worker in workers:
            data = [f"user{worker.index}-{n}" for n in range(worker.index + 1)]
            environment.runner.send_message("test_users", data, worker.client_id)


class Idle(User):
    wait_time = constant(0.1)

    @task
    def check(self):
        with self.measure("has data", request_type="CHECK") as m:
            if not getattr(self.environment, "test_users", None):
                m.failure("no test users")
