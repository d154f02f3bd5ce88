"""Master, workers and target on separate hosts (network namespaces on a private bridge)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_fastswarm
from tests.netns import lab, require_lab

TASKS = """
from fastswarm import FastHttpUser, constant, task

class Visitor(FastHttpUser):
    wait_time = constant(0.02)

    @task
    def home(self):
        self.client.get("/")
"""


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    require_lab()


def test_a_run_across_three_hosts_with_curve_keys_counts_what_the_target_served(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    keys = tmp_path / "keys"
    made = run_fastswarm("keygen", str(keys))
    assert made.returncode == 0, made.stderr
    with lab(3) as net:
        master_host, worker_a, worker_b = net.hosts
        address = master_host.address
        master_host.popen(sys.executable, "-m", "fastswarm.target", "--host", address, "--port", "8080")
        url = f"http://{address}:8080"
        assert master_host.served(url) == 0
        master = master_host.fastswarm(
            "-H", url, "--master", "--master-bind-host", address, "--master-port", "5557",
            "--curve-dir", str(keys),
            "--expect-workers", "2", "--headless", "--no-web", "-u", "4", "-r", "50", "-t", "3s",
            "--stop-timeout", "5", "--json", str(tmp_path / "report.json"), cwd=tmp_path,
        )  # fmt: skip
        workers = [
            host.fastswarm("--worker", "--master-host", address, "--master-port", "5557", "--processes", "1",
                           "--curve-dir", str(keys), cwd=tmp_path)  # fmt: skip
            for host in (worker_a, worker_b)
        ]
        out, err = master.communicate(timeout=90)
        assert master.returncode == 0, err[-3000:]
        for worker in workers:
            assert worker.wait(timeout=30) == 0, worker.stderr.read() if worker.stderr else ""
        served = master_host.served(url)
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["run"]["processes"] == 2
        assert report["totals"]["requests"] == served > 0
