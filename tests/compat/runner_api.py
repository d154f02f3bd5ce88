"""Locust's runner API read from a tasks file, on the master and on each worker:
state and the STATE_* constants, user_count, target_user_count, clients, worker_index,
stats, spawning_greenlet, greenlet, quit(), and the heartbeat_sent/heartbeat_received events.
The master quits the run itself once it has seen the users running and some requests."""

import os

import gevent

from fastswarm import FastHttpUser, between, events, task
from fastswarm.runners import (
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_STOPPED,
    MasterRunner,
    WorkerRunner,
)

LOG = os.environ.get("COMPAT_LOG")
beats_sent, beats_received = set(), set()


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Reader(FastHttpUser):
    wait_time = between(0.01, 0.02)

    @task
    def read(self):
        self.client.get("/bytes/8", name="read")


@events.heartbeat_sent.add_listener
def on_sent(client_id, timestamp, **_kw):
    if client_id not in beats_sent:
        beats_sent.add(client_id)
        log(f"heartbeat_sent {os.getpid()} {client_id} {timestamp > 1e9}")


@events.heartbeat_received.add_listener
def on_received(client_id, timestamp, **_kw):
    if client_id not in beats_received:
        beats_received.add(client_id)
        log(f"heartbeat_received {client_id} {timestamp > 1e9}")


@events.init.add_listener
def on_init(environment, **_kw):
    log(f"init {environment.role} {environment.runner.state in (STATE_INIT, 'waiting')}")


def watch_master(runner):
    gevent.sleep(0.1)
    runner.spawning_greenlet.join(timeout=10)
    clients = runner.clients
    states = ",".join(sorted(node.state for node in clients.values()))
    log(f"master spawned {runner.state == STATE_RUNNING} {runner.user_count} {runner.target_user_count}")
    log(f"master clients {len(clients)} {states} {len(clients.running)} {len(clients.missing)}")
    log(f"master beats {all(node.heartbeat > 0 for node in clients.values())}")
    log(f"master node_users {sorted(node.user_count for node in clients.all)}")
    while runner.stats.total.num_requests < 20:
        gevent.sleep(0.1)
    total = runner.stats.total
    log(f"master stats {total.fail_ratio} {total.avg_response_time > 0} {sorted(runner.stats.entries)}")
    runner.quit()


def watch_worker(environment):
    runner = environment.runner
    gevent.sleep(0.05)
    runner.spawning_greenlet.join(timeout=10)
    log(f"worker {runner.worker_index} {runner.state == STATE_RUNNING} {runner.target_user_count}")
    gevent.sleep(0.2)
    log(f"worker_stats {runner.worker_index} {runner.stats.total.num_requests > 0}")


@events.test_start.add_listener
def on_test_start(environment, **_kw):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        log(f"master test_start {runner.state == STATE_INIT}")  # as Locust: fired before the spawning
        gevent.spawn(watch_master, runner)
    elif isinstance(runner, WorkerRunner):
        gevent.spawn(watch_worker, environment)


@events.quit.add_listener
def on_quit(exit_code, **_kw):
    from fastswarm.user.env import current

    runner = current().runner
    if isinstance(runner, WorkerRunner):
        runner.greenlet.join(timeout=1)
        log(f"worker_quit {runner.state == STATE_STOPPED} {runner.greenlet.dead} {STATE_MISSING}")
    else:
        log(f"master_quit {runner.state == STATE_STOPPED} {exit_code}")
