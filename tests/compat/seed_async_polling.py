"""The seed's asynchronous polling, nearly verbatim: gevent.spawn, time.sleep, and the old
request_success / request_failure events to report the async operation's duration."""

import time

import gevent

import fastswarm as locust
from fastswarm import task


def async_success(name, start_time, resp):
    locust.events.request_success.fire(
        request_type=resp.request.method,
        name=name,
        response_time=int((time.monotonic() - start_time) * 1000),
        response_length=len(resp.content),
    )


def async_failure(name, start_time, resp, message):
    locust.events.request_failure.fire(
        request_type=resp.request.method,
        name=name,
        response_time=int((time.monotonic() - start_time) * 1000),
        exception=Exception(message),
    )


class Poller(locust.HttpUser):
    wait_time = locust.constant(0.2)

    def _do_async_thing_handler(self, timeout=3):
        post_resp = self.client.post("/jobs?delay_ms=200")
        if not post_resp.ok:
            return
        id = str(post_resp.json()["id"])

        # Now poll for an ACTIVE status
        start_time = time.monotonic()
        end_time = start_time + timeout
        while time.monotonic() < end_time:
            r = self.client.get("/jobs/" + id, name="/jobs/ID")
            if r.ok and r.json()["status"] == "ACTIVE":
                async_success("POST /things/ID - async", start_time, post_resp)
                return
            elif r.ok and r.json()["status"] == "ERROR":
                async_failure("POST /things/ID - async", start_time, post_resp, "Failed - saw ERROR status")
                return

            # IMPORTANT: Sleep must be monkey-patched by gevent (typical), or else
            # use gevent.sleep to avoid blocking the world.
            time.sleep(0.05)
        async_failure(
            "POST /things/ID - async",
            start_time,
            post_resp,
            "Failed - timed out after %s seconds" % timeout,  # noqa: UP031
        )

    @task
    def do_async_thing(self):
        gevent.spawn(self._do_async_thing_handler)

    @task
    def never_ready(self):
        # A job that is never ready in time: reported through request_failure.
        self.spawn(self._do_async_thing_handler, timeout=0.01)
