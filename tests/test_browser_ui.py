"""The web UI in a real headless Chromium, against a real master, real workers and the built-in target.

Each tab is screenshotted into tests/artifacts/ (ui-*.png) while a run is live, and every
interaction is checked against what the master itself reports (/stats), not just the page.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.conftest import Target
from tests.web_support import ARTIFACTS, Master, chromium_page

SHOP = """
import logging
from fastswarm import HttpUser, task, constant, events

class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task(6)
    def home(self):
        self.client.get("/")

    @task(2)
    def slow(self):
        self.client.get("/delay/15", name="/delay/{ms}")

    @task(1)
    def missing(self):
        self.client.get("/status/404", name="/status/{code}")

    @task(1)
    def broken(self):
        raise ValueError("no such basket")  # shown under Exceptions, with its traceback

@events.init.add_listener
def announce(environment, **kwargs):
    if environment.role == "master":
        logging.getLogger("shop").warning("basket service is in maintenance mode")
"""

MANY = """
import itertools
from fastswarm import HttpUser, task, constant_throughput

NAMES = itertools.cycle([f"/item/{i:04d}" for i in range(2000)])

class Crawler(HttpUser):
    wait_time = constant_throughput(50)  # 2 users: 100 new names a second

    @task
    def item(self):
        self.client.get("/", name=next(NAMES))
"""


# The Aggregated row's request count, as the page shows it (JavaScript).
TOTAL_REQUESTS = (
    "Number((document.querySelector('#stats-total td:nth-child(3)')?.textContent || '0').replace(/,/g, ''))"
)


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page(900) as page:
        yield page


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"))


def tab(page: Page, name: str) -> None:
    page.click(f"button[data-tab={name}]")
    expect(page.locator(f"#tab-{name}")).to_be_visible()


def rows(page: Page) -> list[list[str]]:
    """The stats table's rows in the DOM, read in one go (the page repaints every second)."""
    return page.eval_on_selector_all(
        "#stats-table tbody tr", "trs => trs.map(tr => Array.from(tr.children, td => td.textContent))"
    )


def number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.timeout(150)
def test_every_tab_and_control_in_a_closed_then_an_open_run(
    tmp_path: Path, target: Target, page: Page
) -> None:
    master = Master(tmp_path, "-H", target.url, "-P", "0", "--processes", "2", tasks=SHOP)
    try:
        page.goto(master.url + "/")
        expect(page.locator("#state")).to_have_text("ready", timeout=20_000)
        page.fill("#f-users", "4")
        page.fill("#f-spawn-rate", "40")
        page.fill("#f-run-time", "120s")
        page.click("#start")
        expect(page.locator("#message")).to_have_text("started")
        expect(page.locator("#users")).to_have_text("4", timeout=20_000)
        expect(page.locator("#stats-table tbody tr")).to_have_count(3, timeout=20_000)
        expect(page.locator("#stats-total tr.total td").nth(1)).to_have_text("Aggregated")
        expect(page.locator("#stats-table tr[data-key='GET /delay/{ms}']")).to_be_attached()
        page.wait_for_function(f"{TOTAL_REQUESTS} > 100")
        shot(page, "statistics")

        # Sorting and filtering change the rows in the DOM.
        page.click("#stats th[data-key=name]")  # ascending first
        assert [r[1] for r in rows(page)] == ["/", "/delay/{ms}", "/status/{code}"]
        page.click("#stats th[data-key=name]")
        assert [r[1] for r in rows(page)] == ["/status/{code}", "/delay/{ms}", "/"]
        expect(page.locator("#stats th[data-key=name]")).to_have_class(re.compile("sorted-desc"))
        page.click("#stats th[data-key=p99]")  # numbers: largest first
        p99 = [number(r[7]) for r in rows(page)]
        assert len(p99) == 3 and p99 == sorted(p99, reverse=True), rows(page)
        page.fill("#stats-filter", "status")
        assert [r[1] for r in rows(page)] == ["/status/{code}"]
        expect(page.locator("#stats-shown")).to_have_text("1 of 3 endpoints")
        page.fill("#stats-filter", "")
        expect(page.locator("#stats-table tbody tr")).to_have_count(3)

        # Change the user count live: the master reports it, and the run-time deadline stays.
        page.fill("#l-users", "7")
        page.click("#apply")
        snap = master.wait_for(lambda s: s["users"] == 7 and s["target_users"] == 7, what="7 users")
        assert snap["run_time_left_s"] is not None and snap["run_time_left_s"] <= 120
        expect(page.locator("#users")).to_have_text("7", timeout=10_000)

        tab(page, "charts")
        page.wait_for_function(
            "Number(document.querySelector('#chart-rps').dataset.points) >= 5", timeout=20_000
        )
        assert page.locator("#chart-latency polyline.series").count() == 3
        assert page.locator("#chart-users polyline.series").count() == 1
        expect(page.locator("#chart-rate")).to_be_hidden()  # closed model: no target rate
        page.hover("#chart-rps", position={"x": 400, "y": 100})
        expect(page.locator("#chart-rps .hover text.tip-text").first).to_be_visible()
        shot(page, "charts")

        tab(page, "distribution")
        expect(page.locator("#dist-latency polyline.series")).to_have_count(1, timeout=10_000)
        expect(page.locator("#dist-corrected")).to_be_hidden()  # closed model: no corrected latency
        page.select_option("#dist-endpoint", label="GET /delay/{ms}")
        expect(page.locator("#dist-latency text.title")).to_contain_text("GET /delay/{ms}")
        # /delay/15 answers after 15 ms: its median on the master's curve says so
        page.wait_for_function(
            "Number(document.querySelector('#dist-table tbody td:nth-child(3)')?.textContent) >= 15"
        )

        tab(page, "failures")
        expect(page.locator("#failures-table tbody tr").first).to_contain_text("/status/{code}")
        expect(page.locator("#failures-table tbody tr").first).to_contain_text("404")
        expect(page.locator("#failures-count")).to_have_text("1")
        shot(page, "failures")

        tab(page, "exceptions")
        first = page.locator("#exceptions-table tbody tr").first
        expect(first).to_contain_text("ValueError")
        expect(first).to_contain_text("no such basket")
        first.locator("summary").click()
        expect(first.locator("pre.traceback")).to_contain_text('raise ValueError("no such basket")')
        shot(page, "exceptions")

        tab(page, "workers")
        expect(page.locator("#workers-table tbody tr")).to_have_count(2)
        expect(page.locator("#workers-summary")).to_contain_text("2 of 2 workers alive")
        expect(page.locator("#workers-table tbody tr").first).to_contain_text("running")
        shot(page, "workers")

        tab(page, "logs")
        logs = page.locator("#logs-list")
        expect(logs).to_contain_text(
            "basket service is in maintenance mode"
        )  # the tasks file's, on the master
        expect(logs).to_contain_text("test started: 4 users at 40/s")
        expect(logs).to_contain_text("test changed to 7 users")
        expect(page.locator("#logs-list .lvl-warning")).to_have_count(1)
        shot(page, "logs")

        tab(page, "download")
        hrefs = page.eval_on_selector_all("ul.downloads a", "as => as.map(a => a.getAttribute('href'))")
        assert {"/stats.csv", "/errors.csv", "/report.html", "/report.json", "/stats"} <= set(hrefs)
        for href in hrefs:
            answer = page.request.get(master.url + href)
            assert answer.status == 200, (href, answer.status)
        assert "histograms" in page.request.get(master.url + "/report.json").json()
        shot(page, "download")

        tab(page, "stats")
        page.click("#theme-toggle")
        expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        page.wait_for_timeout(300)
        shot(page, "dark")
        page.reload()  # remembered
        expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        page.click("#theme-toggle")
        expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))

        page.click("#stop")
        expect(page.locator("#state")).to_have_text("stopped", timeout=20_000)
        assert master.json("/stats")["state"] == "stopped"
        expect(page.locator("#stopped-panel")).to_be_visible()

        # New test, open model: an arrival rate, then a live rate change.
        page.click("#new-test")
        expect(page.locator("#start-form")).to_be_visible()
        page.check("#mode-rate")
        expect(page.locator("#f-users")).to_be_hidden()
        page.fill("#f-rate", "40")
        page.fill("#f-run-time", "")
        page.click("#start")
        master.wait_for(lambda s: s["state"] == "running" and s["target_rate"] == 40, what="rate 40")
        expect(page.locator("#stats th[data-key='c-p99']")).to_be_visible(timeout=20_000)
        page.wait_for_function(f"{TOTAL_REQUESTS} > 0")
        shot(page, "statistics-open")
        page.fill("#l-rate", "60")
        page.click("#apply")
        master.wait_for(lambda s: s["target_rate"] == 60, what="rate 60")
        expect(page.locator("#rate")).to_have_text("60.0/s", timeout=10_000)

        tab(page, "distribution")
        page.select_option("#dist-endpoint", label="All requests")
        expect(page.locator("#dist-corrected")).to_be_visible(timeout=10_000)
        expect(page.locator("#dist-corrected polyline.series")).to_have_count(
            2
        )  # its curve + the other, faint
        expect(page.locator("#dist-table tbody tr")).to_have_count(2)
        page.wait_for_timeout(1500)  # a few more samples on the curves
        shot(page, "distribution")

        page.click("#stop")
        expect(page.locator("#state")).to_have_text("stopped", timeout=20_000)
        # The curve is the master's own merged histogram: its p99 is /stats' p99.
        stats, dist = master.json("/stats"), master.json("/stats/distribution")
        at = dist["percentiles"].index(99.0)
        assert dist["latency"]["count"] == stats["totals"]["requests"]
        assert dist["latency"]["ms"][at] == pytest.approx(stats["totals"]["latency_ms"]["p99"], abs=0.001)
        assert dist["corrected"]["ms"][at] == pytest.approx(
            stats["totals"]["corrected_latency_ms"]["p99"], abs=0.001
        )

        page.click("#reset")
        master.wait_for(lambda s: s["totals"]["requests"] == 0, what="stats reset")
        expect(page.locator("#stats-shown")).to_have_text("0 endpoints", timeout=10_000)
    finally:
        master.kill()


def _without_workers(route: Route) -> None:
    """The real /stats from a master that sends no worker list at all."""
    snap: dict[str, Any] = route.fetch().json()
    del snap["workers"]
    route.fulfill(status=200, content_type="application/json", body=json.dumps(snap))


def _with_64_workers(route: Route) -> None:
    """The real /stats, with the worker list a 64-process master would send (loop lag included)."""
    snap: dict[str, Any] = route.fetch().json()
    snap["workers"] = [
        {
            "id": f"host{i // 16}-{4000 + i}",
            "index": i,
            "host": f"host{i // 16}",
            "pid": 4000 + i,
            "state": "running",
            "users": 25,
            "cpu_percent": 40.0 + i % 7 * 9,
            "loop_lag_ms": 1.5 + i % 5,
            "heartbeat_age_s": 0.4,
            "alive": i != 63,
        }  # fmt: skip
        for i in range(64)
    ]
    route.fulfill(status=200, content_type="application/json", body=json.dumps(snap))


@pytest.mark.timeout(120)
def test_two_thousand_names_render_only_the_rows_in_view(tmp_path: Path, target: Target, page: Page) -> None:
    # No /stats until the load is over: the master's aggregator takes seconds to merge reports
    # that bring hundreds of new names and to summarise 2,000 of them (it was sized for 100),
    # and /stats polls meanwhile starve its heartbeats. The target's own count says when every
    # name was requested. What this test measures is the page.
    before = target.served()
    args = ["-H", target.url, "-P", "0", "--autostart", "-u", "2", "-r", "10", "-t", "30s"]
    master = Master(tmp_path, *args, tasks=MANY)
    try:
        deadline = time.monotonic() + 40
        while target.served() - before < 2000 and time.monotonic() < deadline:
            time.sleep(0.5)
        master.json("/stop", "POST", {})  # returns once the workers' last stats are in
        assert len(master.json("/stats")["endpoints"]) == 2000
        page.goto(master.url + "/")
        page.evaluate(
            "window.__long = 0; new PerformanceObserver(l => l.getEntries().forEach("
            "e => { window.__long = Math.max(window.__long, e.duration); })).observe({type: 'longtask'})"
        )
        expect(page.locator("#stats-shown")).to_have_text("2,000 endpoints", timeout=20_000)
        in_dom = page.locator("#stats-table tbody tr").count()
        assert 10 <= in_dom <= 80, in_dom  # a screenful and a margin, not 2,000
        assert rows(page)[0][1] == "/item/0000"
        page.eval_on_selector("#stats .vt-scroll", "el => { el.scrollTop = el.scrollHeight; }")
        expect(page.locator("#stats-table tbody tr[data-key='GET /item/1999']")).to_be_visible()
        assert page.locator("#stats-table tbody tr").count() <= 80
        page.eval_on_selector("#stats .vt-scroll", "el => { el.scrollTop = el.scrollHeight / 2; }")
        expect(page.locator("#stats-table tbody tr[data-key='GET /item/1000']")).to_be_attached()
        shot(page, "virtual")
        page.fill("#stats-filter", "/item/19")
        expect(page.locator("#stats-shown")).to_have_text("100 of 2,000 endpoints")
        assert all(r[1].startswith("/item/19") for r in rows(page))
        page.wait_for_timeout(2000)  # two more polls of a 2,000-row /stats
        longest = page.evaluate("window.__long")
        print(f"longest main-thread task with 2,000 names: {longest:.0f} ms")
        assert longest < 1000, longest

        page.route("**/stats", _with_64_workers)
        tab(page, "workers")
        expect(page.locator("#workers-table tbody tr")).to_have_count(64, timeout=10_000)
        expect(page.locator("#workers-summary")).to_contain_text("63 of 64 workers alive")
        expect(page.locator("#workers-table tbody tr").first).to_contain_text("1.5")  # loop lag, when sent
        shot(page, "workers-64")
        page.unroute("**/stats")
        page.route("**/stats", _without_workers)
        expect(page.locator("#workers-summary")).to_have_text("This master does not report its workers.")
        expect(page.locator("#workers")).to_have_text("–")
    finally:
        master.kill()
