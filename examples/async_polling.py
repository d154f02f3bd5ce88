"""Asynchronous polling, timed as one operation: the seed's pattern, the fastswarm way.

A job is created with ``POST /jobs``; it is PENDING until the server finishes it, then
ACTIVE. What matters is how long the whole thing took, so the task hands the polling to a
background greenlet (the task returns at once, keeping the request rate steady) and
``self.measure`` records the operation as one entry, "POST /jobs/ID - async":

- ``self.spawn`` instead of ``gevent.spawn``: the poller is killed when its user stops or
  the test ends, so nothing keeps polling after the run;
- ``self.measure`` instead of hand-made timing and ``request_success``/``request_failure``:
  a time-out or an ERROR status is ``m.failure(...)``; an exception is a failure too.

Run it against the built-in target (``fastswarm target --port 8080``)::

    fastswarm -f examples/async_polling.py -H http://127.0.0.1:8080 --headless -u 10 -t 10s
"""

import time

from fastswarm import HttpUser, between, task

JOB_DELAY_MS = 300  # how long the built-in target takes to finish a job
TIMEOUT_S = 5.0
POLL_EVERY_S = 0.1


class JobSubmitter(HttpUser):
    wait_time = between(0.5, 1.0)

    @task
    def submit_job(self):
        self.spawn(self.await_job)

    def await_job(self):
        created = self.client.post("/jobs", json={"delay_ms": JOB_DELAY_MS})
        if not created.ok:
            return  # the POST itself is already recorded as a failure
        job_id = created.json()["id"]
        with self.measure("POST /jobs/ID - async", request_type="ASYNC") as m:
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                r = self.client.get(f"/jobs/{job_id}", name="/jobs/ID")
                status = r.json()["status"] if r.ok else None
                if status == "ACTIVE":
                    return
                if status == "ERROR":
                    m.failure("saw ERROR status")
                    return
                time.sleep(POLL_EVERY_S)  # gevent-patched: other users run meanwhile
            m.failure(f"timed out after {TIMEOUT_S} s")
