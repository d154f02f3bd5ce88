"""The seed, verbatim but for the import line: ``import locust.events`` as a module."""

import os

import fastswarm
import fastswarm.events

LOG = os.environ.get("COMPAT_LOG")

my_event = fastswarm.events.EventHook()


def handler1(a, b):
    with open(LOG, "a") as f:
        f.write(f"handled {a} {b}\n")


my_event += handler1


def get_auth_token():
    with open(LOG, "a") as f:
        f.write(f"worker hatching {os.getpid()}\n")
    my_event.fire(a=1, b=2)


fastswarm.events.locust_start_hatching += get_auth_token


class Nobody(fastswarm.User):
    wait_time = fastswarm.constant(1)

    @fastswarm.task
    def nothing(self):
        pass
