"""An open-model load shape: the arrival rate climbs in steps, holds, drops, then stops.

Run it against the built-in target (``fastswarm target --port 8080``):

    fastswarm -f examples/rate_ramp.py -H http://127.0.0.1:8080 --headless --processes 2 --max-users 200

``{"rate": R}`` asks for R task iterations per second across all workers, whatever the
service's latency (each arrival runs one task of a free user from the --max-users pool).
"""

from fastswarm import HttpUser, LoadTestShape, constant, task


class Reader(HttpUser):
    wait_time = constant(0)  # the arrival schedule paces the tasks, not the user

    @task(4)
    def home(self):
        self.client.get("/")

    @task(1)
    def slow(self):
        self.client.get("/delay/20", name="/delay/{ms}")


class RateRamp(LoadTestShape):
    """50/s, up 50/s each second to 300/s, hold 4 s, 100/s for 3 s, then stop (14 s in all)."""

    def tick(self):
        run_time = self.get_run_time()
        if run_time < 6:
            return {"rate": 50 + 50 * int(run_time)}
        if run_time < 10:
            return {"rate": 300}
        if run_time < 13:
            return {"rate": 100}
        return None
