"""Listeners on the lifecycle events; each process logs what it saw, with its role and pid."""

import os

from fastswarm import HttpUser, constant, events, task

LOG = os.environ.get("COMPAT_LOG")


def log(*parts):
    if LOG:
        with open(LOG, "a") as f:
            f.write(" ".join(str(p) for p in parts) + "\n")


@events.init.add_listener
def on_init(environment, **kwargs):
    log("init", environment.role, os.getpid())


@events.test_start.add_listener
def on_test_start(environment, **kwargs):
    log("test_start", environment.role, os.getpid())


@events.test_stopping.add_listener
def on_test_stopping(environment, **kwargs):
    log("test_stopping", environment.role, os.getpid())


@events.test_stop.add_listener
def on_test_stop(environment, **kwargs):
    log("test_stop", environment.role, os.getpid())


@events.request.add_listener
def on_request(request_type, name, response_time, response_length, exception, context, **kwargs):
    if name == "first" and isinstance(response_time, float):
        log("request", name, os.getpid())


@events.report_to_master.add_listener
def on_report(client_id, data, **kwargs):
    data["pid"] = os.getpid()


@events.worker_report.add_listener
def on_worker_report(client_id, data, **kwargs):
    log("worker_report", data.get("pid"))


@events.quitting.add_listener
def on_quitting(environment, **kwargs):
    log("quitting", environment.role, os.getpid())


@events.quit.add_listener
def on_quit(exit_code, **kwargs):
    log("quit", exit_code, os.getpid())


class Once(HttpUser):
    wait_time = constant(10)

    @task
    def first(self):
        self.client.get("/", name="first")
