"""The seed's own event: an EventHook with two handlers, fired with keyword arguments."""

import os

from fastswarm import User, constant, events, task

LOG = os.environ.get("COMPAT_LOG")

my_event = events.EventHook()  # old Locust had EventHook on locust.events


def handler1(a, b):
    with open(LOG, "a") as f:
        f.write(f"handled {a} {b}\n")


def handler2(a, b):
    with open(LOG, "a") as f:
        f.write(f"sum {a + b}\n")


my_event += handler1
my_event += handler2


@events.test_start.add_listener
def fire_it(environment, **kwargs):
    if environment.role == "master":
        my_event.fire(a=1, b=2)


class Nobody(User):
    wait_time = constant(1)

    @task
    def nothing(self):
        pass
