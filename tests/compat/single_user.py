"""run_single_user: run this file with python to debug one user, each request printed."""

from fastswarm import HttpUser, constant, run_single_user, task
from fastswarm.exception import StopUser


class Debugged(HttpUser):
    host = "http://127.0.0.1:9"  # replaced by the command line's --host
    wait_time = constant(0)

    def on_start(self):
        self.n = 0

    @task
    def step(self):
        self.n += 1
        if self.n > 4:
            raise StopUser()
        self.client.get(f"/bytes/{self.n}", name=f"step {self.n}")


if __name__ == "__main__":
    import sys

    Debugged.host = sys.argv[1]
    run_single_user(Debugged, include_length=True)
