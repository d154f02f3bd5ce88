"""The open model end to end: real master, two forked workers, the built-in target."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Target, run_fastswarm

ONE_REQUEST_PER_TASK = """
from fastswarm import HttpUser, task

class One(HttpUser):
    @task
    def home(self):
        self.client.get("/")
"""


def test_rate_200_for_5s_on_two_processes_makes_1000_iterations(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(ONE_REQUEST_PER_TASK)
    target.reset()
    result = run_fastswarm(
        "-H", target.url, "--headless", "--rate", "200", "-t", "5s", "--processes", "2",
        "--stop-timeout", "2", "--json", "report.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    served = target.served()
    assert 998 <= served <= 1002, served
    report = json.loads((tmp_path / "report.json").read_text())
    om = report["open_model"]
    assert om["iterations"] == report["totals"]["requests"] == served
    assert om["dropped"] == 0
    assert report["run"]["rate"] == {"start": 200.0, "end": 200.0}
    corrected, plain = report["totals"]["corrected_latency_ms"], report["totals"]["latency_ms"]
    assert corrected["p50"] >= plain["p50"] > 0
    assert isinstance(report["generator_limited"], bool)
    assert "corrected" in result.stdout and "dropped" in result.stdout


def test_small_pool_drops_and_says_so(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(
        "from fastswarm import HttpUser, task\n"
        "class Slow(HttpUser):\n"
        "    @task\n"
        "    def slow(self):\n"
        "        self.client.get('/delay/100')\n"
    )
    result = run_fastswarm(
        "-H", target.url, "--headless", "--rate", "50", "-t", "2s", "--max-users", "2",
        "--json", "report.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    om = json.loads((tmp_path / "report.json").read_text())["open_model"]
    # 2 users busy 100 ms each serve about 20/s of the 50/s asked for; the rest are dropped.
    assert om["iterations"] + om["dropped"] == 100
    assert om["dropped"] >= 40
