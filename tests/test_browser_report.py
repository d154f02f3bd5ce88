"""The `--html` report opened from disk in a real headless Chromium: it renders every section,
asks the network for nothing, and is screenshotted into tests/artifacts/html-report.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import Target, run_fastswarm
from tests.web_support import ARTIFACTS, chromium_page

TASKS = """
from fastswarm import HttpUser, task

class Shop(HttpUser):
    @task(4)
    def home(self):
        self.client.get("/", name="/home<script>document.title='owned'</script>")

    @task(1)
    def slow(self):
        self.client.get("/delay/20", name="/delay/{ms}")
"""


@pytest.mark.timeout(120)
def test_the_report_renders_offline_in_chromium(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", target.url, "--headless", "--rate", "40", "-t", "4s", "-P", "0", "--html", "report.html",
        "--check", "fail_ratio<0.01", "--check", "p50<0.001ms",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr  # the second check fails
    requested: list[str] = []
    with chromium_page(900) as page:
        page.on("request", lambda request: requested.append(request.url))
        page.goto((tmp_path / "report.html").as_uri())
        expect(page).to_have_title("fastswarm report")  # the name's script did not run
        for heading in ("Settings", "Checks", "Requests", "Latency distribution", "Charts", "Failures"):
            expect(page.locator("h2", has_text=heading)).to_be_visible()
        expect(page.locator("#checks tr.pass td.verdict")).to_have_text("PASS")
        expect(page.locator("#checks tr.fail td.verdict")).to_have_text("FAIL")
        expect(page.locator("#percentiles th")).to_have_text(["Percentile", "measured ms", "corrected ms"])
        expect(page.locator("#requests td", has_text="/home<script>")).to_have_count(1)
        curves = page.locator("#distribution svg polyline")
        expect(curves).to_have_count(2)
        for i in range(2):
            box = curves.nth(i).bounding_box()
            assert box is not None and box["width"] > 300, box  # drawn across the axis
        expect(page.locator(".charts svg")).to_have_count(3)
        page.screenshot(path=str(ARTIFACTS / "html-report.png"), full_page=True)
    assert requested == [(tmp_path / "report.html").as_uri()]  # nothing but the file itself
