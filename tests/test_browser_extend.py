"""The tasks file's own tabs and --web-login in a real headless Chromium.

A Locust-style file (tests/compat/web_ui_routes.py) adds a JSON tab with Locust's
extend_web_ui table and an HTML tab; the browser logs in through the form, opens both, and
the JSON tab's screenshot goes to tests/artifacts/web-ui-extra-tab.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT, Target
from tests.web_support import ARTIFACTS, Master, chromium_page

TOKEN = "browser-token-0123456789abcdef"


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page(720) as page:
        yield page


@pytest.mark.timeout(120)
def test_login_then_the_added_tabs_show_their_routes(tmp_path: Path, target: Target, page: Page) -> None:
    tasks = (ROOT / "tests" / "compat" / "web_ui_routes.py").read_text()
    args = ("-H", target.url, "-P", "0", "--processes", "2", "--web-auth-token", TOKEN, "--web-login")
    run = ("--autostart", "-u", "2", "-r", "100", "-t", "60s")
    master = Master(tmp_path, *args, *run, env={"COMPAT_LOG": str(tmp_path / "log")}, tasks=tasks)
    try:
        page.goto(master.url + "/")
        expect(page).to_have_url(master.url + "/login")
        page.fill("#token", "wrong")
        page.click("button[type=submit]")
        expect(page.locator("#failed")).to_be_visible()
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        expect(page.locator("#state")).to_have_text("running", timeout=20_000)

        page.click("button[data-tab=ext-0]")
        expect(page.locator("button[data-tab=ext-0]")).to_have_text("Content Length")
        table = page.locator("#tab-ext-0 table.ext-table")
        expect(table.locator("thead th")).to_have_text(["Name", "Total content length"])
        expect(table.locator("tbody tr td").first).to_have_text("hundred", timeout=20_000)
        page.wait_for_function(
            "Number(document.querySelector('#tab-ext-0 tbody td:nth-child(2)')?.textContent) >= 2000"
        )
        page.screenshot(path=str(ARTIFACTS / "web-ui-extra-tab.png"))

        page.click("button[data-tab=ext-1]")
        frame = page.frame_locator("#tab-ext-1 iframe")
        expect(frame.locator("body")).to_have_text("Another page")
        assert page.get_attribute("#tab-ext-1 iframe", "sandbox") == "allow-scripts"
        page.reload()  # the added tab's name in the address is found again once /extensions answers
        expect(page.locator("#tab-ext-1")).to_be_visible()

        page.click("form.logout button")
        expect(page).to_have_url(master.url + "/login")
        page.goto(master.url + "/")
        expect(page).to_have_url(master.url + "/login")  # the cookie is gone
    finally:
        master.interrupt()
