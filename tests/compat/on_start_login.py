"""on_start logs in once per user; every task sends the token it got."""

from fastswarm import HttpUser, between, task


class LoggedIn(HttpUser):
    wait_time = between(0.01, 0.02)

    def on_start(self):
        response = self.client.post("/echo", json={"token": f"t-{self.user_id}"}, name="login")
        self.token = response.json()["token"]

    @task
    def profile(self):
        with self.client.post("/echo", json={"auth": self.token}, catch_response=True, name="profile") as r:
            if r.json().get("auth") != self.token:
                r.failure("lost the token")
