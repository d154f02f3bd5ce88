"""environment.web_ui as Locust's docs use it: an added page, a JSON route with the data of
Locust's extend_web_ui example (content length per request name), an auth_required route,
add_url_rule with a path variable, a view that raises, and the example's tab.

Ported by changing the import lines (``from flask import request`` became
``from fastswarm.web import request``) and one thing more: in fastswarm the master never runs
users, so the workers count and ship their counts with report_to_master, as a distributed
Locust run has to. Locust's Blueprint and template_args become ``web_ui.add_tab`` with the
example's own table structure.
"""

import os

from fastswarm import HttpUser, constant, events, task
from fastswarm.web import request

LOG = os.environ.get("COMPAT_LOG")
stats = {}  # on a worker: since its last report; on the master: the whole run's


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class WebsiteUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def index(self):
        self.client.get("/bytes/100", name="hundred")


@events.init.add_listener
def on_init(environment, **kwargs):
    log(f"init {environment.role} web_ui={'set' if environment.web_ui else None}")
    if not environment.web_ui:
        return

    @environment.web_ui.app.route("/added_page")
    def added_page():
        return "Another page"

    @environment.web_ui.app.route("/content-length")
    def content_length():
        return [{"name": name, "content_length": total} for name, total in sorted(stats.items())]

    @environment.web_ui.app.route("/secret")
    @environment.web_ui.auth_required
    def secret():
        return {"secret": 42}

    def echo(n):
        return {"n": n, "doubled": n * 2, "q": request.args.get("q"), "method": request.method}

    environment.web_ui.app.add_url_rule("/echo/<int:n>", "echo", echo, methods=["GET", "POST"])

    @environment.web_ui.app.route("/boom")
    def boom():
        raise RuntimeError("the view broke")

    structure = [{"key": "name", "title": "Name"}, {"key": "content_length", "title": "Total content length"}]
    environment.web_ui.add_tab("Content Length", "/content-length", columns=structure)
    environment.web_ui.add_tab("Added page", "/added_page")
    greenlet = environment.web_ui.greenlet
    log(f"greenlet running={greenlet is not None and not greenlet.dead}")


@events.request.add_listener
def on_request(name, response_length, **kwargs):
    stats[name] = stats.get(name, 0) + response_length


@events.report_to_master.add_listener
def on_report(client_id, data, **kwargs):
    data["content_length"] = dict(stats)
    stats.clear()


@events.worker_report.add_listener
def on_worker_report(client_id, data, **kwargs):
    for name, total in data.get("content_length", {}).items():
        stats[name] = stats.get(name, 0) + total
