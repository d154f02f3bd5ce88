"""Locust's library use with the web UI: a local runner driven over HTTP, no command line.

Run as ``python library_web_ui.py URL``: serves the UI on a free port, starts 3 users with
POST /swarm, waits (bounded) for requests in GET /stats, stops, resets, quits; tries the
wrong calls too. Prints what it saw as ``key value`` lines for the test to check.
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request

from fastswarm import FastHttpUser, between, events, task
from fastswarm.env import Environment
from fastswarm.exception import ConfigError


class Browser(FastHttpUser):
    wait_time = between(0.01, 0.02)

    @task
    def page(self):
        self.client.get("/bytes/10", name="page")


def call(port, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def refused(fn):
    try:
        fn()
    except ConfigError as exc:
        return str(exc)
    return "accepted"


env = Environment(user_classes=[Browser], host=sys.argv[1], events=events, stop_timeout=5)
print("no_runner", refused(lambda: env.create_web_ui("127.0.0.1", 0)))
runner = env.create_local_runner()
print("basic_auth", refused(lambda: env.create_web_ui("127.0.0.1", 0, auth_credentials="a:b")))
print("csv_writer", refused(lambda: env.create_web_ui("127.0.0.1", 0, stats_csv_writer=object())))
holder = socket.socket()
holder.bind(("127.0.0.1", 0))
holder.listen()
print("busy_port", refused(lambda: env.create_web_ui("127.0.0.1", holder.getsockname()[1])), env.web_ui)
holder.close()

web_ui = env.create_web_ui("127.0.0.1", 0, stats_csv_writer=None)  # Locust's default is accepted
print("same_web_ui", env.web_ui is web_ui, web_ui.port > 0)
print("twice", refused(lambda: env.create_web_ui("127.0.0.1", 0)))


@web_ui.app.route("/hello/<name>")
def hello(name):
    return {"hello": name, "users": env.runner.user_count}


port = web_ui.port
print("before", *call(port, "GET", "/stats")[1]["state"].split())
status, body = call(port, "POST", "/swarm", {"users": 3, "spawn_rate": 30})
print("swarm", status, body["success"])
status, body = call(port, "POST", "/swarm", {"rate": 5})
print("rate", status, body.get("field"))
requests, deadline = 0, time.monotonic() + 10
while requests == 0 and time.monotonic() < deadline:
    time.sleep(0.1)
    snapshot = call(port, "GET", "/stats")[1]
    requests = snapshot["totals"]["requests"]
print("running", requests > 0, snapshot["state"], snapshot["users"], len(snapshot["workers"]))
print("route", json.dumps(call(port, "GET", "/hello/ada")[1], sort_keys=True))
status, body = call(port, "POST", "/stop", {})
print("stop", status, body["state"], runner.state)
snapshot = call(port, "GET", "/stats")[1]
with urllib.request.urlopen(sys.argv[1] + "/__stats", timeout=10) as reply:
    served = json.loads(reply.read())["requests"]
print("totals", snapshot["totals"]["requests"], env.stats.total.num_requests, served)
print("worker", snapshot["workers"][0]["id"], snapshot["workers"][0]["users"], snapshot["state"])
status, body = call(port, "POST", "/reset", {})
print("reset", status, call(port, "GET", "/stats")[1]["totals"]["requests"], env.stats.total.num_requests)
call(port, "POST", "/swarm", {"users": 1, "spawn_rate": 10, "run_time": "0.5s"})
timed = [call(port, "GET", "/stats")[1]]
deadline = time.monotonic() + 5
while timed[-1]["state"] != "stopped" and time.monotonic() < deadline:
    time.sleep(0.1)
    timed.append(call(port, "GET", "/stats")[1])
print("run_time", timed[0]["run_time_left_s"] <= 0.5, timed[-1]["state"], timed[-1]["run_time_left_s"])
runner.quit()
runner.greenlet.join(timeout=10)
print("after_quit", call(port, "POST", "/swarm", {"users": 1, "spawn_rate": 1})[0])
web_ui.stop()
web_ui.greenlet.join(timeout=10)
print("served_until_stop", web_ui.greenlet.dead)

guarded_env = Environment(user_classes=[Browser], host=sys.argv[1], events=events)
guarded_env.create_local_runner()
guarded = guarded_env.create_web_ui("127.0.0.1", 0, token="s3cret")
print("token", call(guarded.port, "GET", "/stats")[0], call(guarded.port, "GET", "/stats", token="s3cret")[0])
guarded.stop()
