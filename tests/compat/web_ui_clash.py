"""A wrong use of environment.web_ui: a route over one of the built-in ones (/stats).

Flask would have served whichever rule it matched first; here the run ends before any
load, with one line naming the route, and exit 2."""

from fastswarm import HttpUser, constant, events, task


class WebsiteUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def index(self):
        self.client.get("/")


@events.init.add_listener
def on_init(environment, **kwargs):
    if environment.web_ui:

        @environment.web_ui.app.route("/stats")
        def my_stats():
            return {"mine": True}
