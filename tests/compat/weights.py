"""Task weights: @task(3) vs @task(1), and user class weights 3:1."""

from fastswarm import HttpUser, constant, task


class Heavy(HttpUser):
    weight = 3
    wait_time = constant(0)

    @task(3)
    def often(self):
        self.client.get("/bytes/1", name="often")

    @task(1)
    def rarely(self):
        self.client.get("/bytes/2", name="rarely")


class Light(HttpUser):
    weight = 1
    wait_time = constant(0)

    @task
    def light(self):
        self.client.get("/", name="light")
