"""`--html` end to end: a real master and workers against the built-in target; the report read
back and held against the JSON report of the same run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Target, run_fastswarm
from tests.html_tables import read_report, resource_urls, settings_of
from tests.web_support import Master

EVIL_NAME = "/home<script>alert(1)</script>"
TASKS = f"""
from fastswarm import HttpUser, task, constant

class Shop(HttpUser):
    wait_time = constant(0.02)

    @task
    def home(self):
        self.client.get("/", name={EVIL_NAME!r})
"""


def _percentiles(page: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in read_report(page).tables["percentiles"][1:]}


def test_a_closed_run_reports_its_checks_settings_and_percentile_curve(
    tmp_path: Path, target: Target
) -> None:
    args = ["-H", target.url, "--headless", "-t", "4s", "-u", "2", "-r", "20", "-P", "0", "--processes", "2"]
    args += [
        "--html",
        "out.html",
        "--json",
        "out.json",
        "--check",
        "fail_ratio<0.5",
        "--check",
        "p99<0.001ms",
    ]
    master = Master(tmp_path, *args, tasks=TASKS)
    try:
        master.wait_for(lambda s: s["totals"]["requests"] > 0, what="a first request")
        status, headers, raw = master.request("/report.html")  # the live report, mid-run
        code = master.process.wait(timeout=60)
    finally:
        master.kill()
    live = raw.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert settings_of(live)["Ended"] == "still running" and "judged on the numbers so far" in live
    assert code == 3, master.stderr  # a check failed

    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    tables = read_report(page).tables
    verdicts = [(c["expr"], "PASS" if c["passed"] else "FAIL", c["actual"]) for c in report["checks"]]
    assert [(row[1], row[0]) for row in tables["checks"][1:]] == [(e, v) for e, v, _ in verdicts]
    assert verdicts[1][1] == "FAIL" and tables["checks"][2][2] == f"p99 = {verdicts[1][2]:g} ms"
    assert tables["checks"][1][2] == f"fail_ratio = {verdicts[0][2]:g}"
    settings = settings_of(page)
    assert settings["Host"] == target.url and settings["Users"] == "2" and settings["Spawn rate"] == "20/s"
    assert (
        settings["Run time"] == "4 s" and settings["Processes"] == "2" and settings["User classes"] == "Shop"
    )
    assert (
        Path(settings["Tasks file"]) == tmp_path / "tasks.py"
        and settings["Checks"] == "fail_ratio<0.5\np99<0.001ms"
    )
    assert settings["Ended"] != "still running"
    totals = report["totals"]
    aggregated = tables["requests"][-1]
    assert aggregated[1] == "Aggregated" and int(aggregated[2]) == totals["requests"] > 0
    assert tables["requests"][1][1] == EVIL_NAME and "<script" not in page  # escaped, shown as written
    pcts = _percentiles(page)
    assert (
        float(pcts["p99"][0]) == totals["latency_ms"]["p99"]
        and float(pcts["max"][0]) == totals["latency_ms"]["max"]
    )
    assert len(pcts["p50"]) == 1  # closed model: no corrected column
    assert resource_urls(page, allowed=target.url) == []


def test_an_open_run_reports_the_corrected_curve_and_target_rate(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", target.url, "--headless", "--rate", "30", "-t", "3s", "-P", "0",
        "--html", "open.html", "--json", "open.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "open.html").read_text(encoding="utf-8")
    report = json.loads((tmp_path / "open.json").read_text(encoding="utf-8"))
    corrected = report["totals"]["corrected_latency_ms"]
    pcts = _percentiles(page)
    assert float(pcts["p99"][1]) == corrected["p99"] and float(pcts["max"][1]) == corrected["max"]
    assert float(pcts["p50"][1]) >= float(pcts["p50"][0]) > 0  # measured from the planned start: later
    settings = settings_of(page)
    assert (
        settings["Rate"] == "30 iterations/s" and settings["Arrival"] == "uniform" and "Users" not in settings
    )
    assert "target rate/s" in page and "No <code>--check</code> was given." in page
    assert resource_urls(page, allowed=target.url) == []
