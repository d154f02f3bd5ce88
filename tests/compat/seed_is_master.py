"""The seed's wish: do some things only on the master, others only on workers."""

import os

from fastswarm import User, constant, events, is_master, is_worker, task
from fastswarm.runners import LocalRunner, MasterRunner, Runner, WorkerRunner

LOG = os.environ.get("COMPAT_LOG")


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


@events.init.add_listener
def on_init(environment, **kwargs):
    runner = environment.runner
    log(
        f"init master={is_master()} worker={is_worker()} role={environment.role} "
        f"MasterRunner={isinstance(runner, MasterRunner)} WorkerRunner={isinstance(runner, WorkerRunner)} "
        f"LocalRunner={isinstance(runner, LocalRunner)} Runner={isinstance(runner, Runner)}"
    )


@events.test_stop.add_listener
def save_report(environment, **kwargs):
    if is_master():
        log("master saves the report")
    if is_worker():
        log(f"worker {environment.worker_index} cleans up")


class Nobody(User):
    wait_time = constant(1)

    @task
    def nothing(self):
        pass
