"""Whole runs through the real command line: master, forked workers, ZeroMQ, a real target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Target, run_fastswarm

TASKS = """
from fastswarm import HttpUser, task, constant

class Quick(HttpUser):
    wait_time = constant(0.01)

    @task(3)
    def home(self):
        self.client.get("/")

    @task(1)
    def item(self):
        self.client.get(f"/bytes/{10 + self.user_id % 5}", name="/bytes/{n}")
"""


@pytest.mark.parametrize("processes", [1, 2])
def test_report_count_equals_requests_served(tmp_path: Path, target: Target, processes: int) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    result = run_fastswarm(
        "-H",
        target.url,
        "--headless",
        "-u",
        "6",
        "-r",
        "50",
        "-t",
        "3s",
        "--processes",
        str(processes),
        "--stop-timeout",
        "5",
        "--json",
        "report.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    served = target.served()
    assert report["totals"]["requests"] == served
    assert served > 50
    assert report["totals"]["failures"] == 0
    assert report["run"]["processes"] == processes
    names = {(e["method"], e["name"]) for e in report["endpoints"]}
    assert names == {("GET", "/"), ("GET", "/bytes/{n}")}
    assert "Aggregated" in result.stdout or "Total" in result.stdout


def test_failures_set_exit_code_and_are_grouped(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(
        "from fastswarm import HttpUser, task, constant\n"
        "class Bad(HttpUser):\n"
        "    wait_time = constant(0.05)\n"
        "    @task\n"
        "    def missing(self):\n"
        "        self.client.get('/status/404')\n"
        "    @task\n"
        "    def broken(self):\n"
        "        raise ValueError('oops in task')\n"
    )
    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "2", "-r", "10", "-t", "2s", "--json", "r.json",
        "--stop-timeout", "5", cwd=tmp_path,  # no request cut by the stop: one error group
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["failures"] == report["totals"]["requests"] > 0
    assert len(report["errors"]) == 1
    assert report["errors"][0]["count"] == report["totals"]["failures"]
    user_errors = report["user_errors"]
    assert len(user_errors) == 1 and user_errors[0]["kind"] == "ValueError"
    assert "oops in task" in user_errors[0]["traceback"]

    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "1", "-t", "1s", "--exit-code-on-error", "0", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_module_level_code_runs_once_and_roles_are_known(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(
        "import os\n"
        "from fastswarm import User, task, constant, events\n"
        f"open({str(tmp_path / 'imports.log')!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
        "@events.test_start.add_listener\n"
        "def started(environment, **kw):\n"
        f"    open({str(tmp_path / 'starts.log')!r}, 'a').write(environment.role + '\\n')\n"
        "class Idle(User):\n"
        "    wait_time = constant(0.1)\n"
        "    @task\n"
        "    def nothing(self):\n"
        "        pass\n"
    )
    result = run_fastswarm("--headless", "-u", "8", "-r", "100", "-t", "2s", "--processes", "2", cwd=tmp_path)
    assert result.returncode == 1 and "no request was made" in result.stderr, result.stderr  # Idle sends none
    assert len((tmp_path / "imports.log").read_text().split()) == 1
    assert sorted((tmp_path / "starts.log").read_text().split()) == ["master", "worker", "worker"]


def test_unreachable_target_is_a_failure_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", "http://127.0.0.1:9", "--headless", "-u", "1", "-t", "1s", "--json", "r.json", cwd=tmp_path
    )
    assert result.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["failures"] > 0
    assert any("refused" in e["error"].lower() for e in report["errors"])


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_master_and_remote_workers_over_tcp(tmp_path: Path, target: Target) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    port = str(_free_port())
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fastswarm",
            "-H",
            target.url,
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-port",
            port,
            "--expect-workers",
            "2",
            "--headless",
            "--no-web",
            "-u",
            "4",
            "-r",
            "50",
            "-t",
            "3s",
            "--stop-timeout",
            "5",
            "--json",
            "report.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    workers = run_fastswarm(
        "--worker", "--master-host", "127.0.0.1", "--master-port", port, "--processes", "2", cwd=tmp_path
    )
    out, err = master.communicate(timeout=60)
    assert master.returncode == 0, err
    assert workers.returncode == 0, workers.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["processes"] == 2
    assert report["totals"]["requests"] == target.served() > 0
