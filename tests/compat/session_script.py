"""A script with no User at all: Locust's HttpSession reporting to an Environment's request event.

Run as ``python session_script.py http://host:port``; prints one line per request.
"""

import sys

from fastswarm.clients import HttpSession
from fastswarm.env import Environment

env = Environment()


@env.events.request.add_listener
def show(request_type, name, response_time, response_length, exception, **kwargs):
    outcome = f"failed {exception}" if exception else "ok"
    print(request_type, name, response_length, response_time > 0, outcome)


if __name__ == "__main__":
    session = HttpSession(sys.argv[1], env.events.request, None)
    session.get("/bytes/5", name="five")
    session.post("/anything", json={"k": 1}, name="post")
    session.get("/status/503", name="down")
    with session.get("/", name="judged", catch_response=True) as resp:
        resp.failure("not what I wanted")
