"""A real browser (Debian's headless chromium, driven by Playwright) uses the web UI end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT, Target
from tests.web_support import Master

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.timeout(120)
def test_ui_starts_a_run_shows_table_and_charts_then_stops(tmp_path: Path, target: Target) -> None:
    assert Path(CHROMIUM).exists(), "chromium is missing: .ci/run installs it (apt-get install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    master = Master(tmp_path, "-H", target.url, "-P", "0", "--processes", "2", "-u", "1", "-r", "1")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(master.url + "/")
            expect(page.locator("#state")).to_have_text("ready", timeout=20_000)
            page.fill("#f-users", "6")
            page.fill("#f-spawn-rate", "30")
            page.fill("#f-run-time", "60s")
            page.click("#start")
            expect(page.locator("#message")).to_have_text("started")
            expect(page.locator("#users")).to_have_text("6", timeout=20_000)
            rows = page.locator("#stats-table tbody tr")
            expect(rows).to_have_count(3, timeout=20_000)  # "/", "/status/{code}", Aggregated
            expect(page.locator("#stats-table tbody tr.total td").nth(1)).to_have_text("Aggregated")
            page.wait_for_function(
                "Number(document.querySelector('#stats-table tr.total td:nth-child(3)').textContent) > 50"
            )
            page.screenshot(path=str(ARTIFACTS / "web-ui-stats.png"), full_page=True)

            page.click("button[data-tab=charts]")
            # at least 3 seconds of history, so each line has points to join
            page.wait_for_function("Number(document.querySelector('#chart-rps').dataset.points) >= 3")
            points = page.locator("#chart-rps polyline.series").first.get_attribute("points") or ""
            assert len(points.split()) >= 3
            assert page.locator("#chart-latency polyline.series").count() == 3
            page.screenshot(path=str(ARTIFACTS / "web-ui-charts.png"), full_page=True)

            page.click("button[data-tab=failures]")
            expect(page.locator("#failures-table tbody tr").first).to_contain_text("/status/{code}")
            page.click("button[data-tab=workers]")
            expect(page.locator("#workers-table tbody tr")).to_have_count(2)

            page.click("#stop")
            expect(page.locator("#state")).to_have_text("stopped", timeout=20_000)
            expect(page.locator("#users")).to_have_text("0")
            browser.close()
        assert master.json("/stats")["state"] == "stopped"
    finally:
        master.kill()
