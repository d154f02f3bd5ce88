"""Dead workers and a dead master: said clearly, nothing measured lost, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, Target

TASKS = """
import os
from fastswarm import HttpUser, task, constant, events

@events.test_start.add_listener
def remember_pid(environment, **kw):
    if environment.role == "worker":
        with open({pids!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")

class Quick(HttpUser):
    wait_time = constant(0.02)

    @task
    def home(self):
        self.client.get("/")
"""


def _start(tmp_path: Path, target: Target, *args: str) -> tuple[subprocess.Popen[str], Path]:
    pids = tmp_path / "pids.txt"
    (tmp_path / "tasks.py").write_text(TASKS.format(pids=str(pids)))
    process = subprocess.Popen(
        [sys.executable, "-m", "fastswarm", "-H", target.url, "--headless", "-u", "4", "-r", "100", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return process, pids


def _worker_pids(pids: Path, count: int, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pids.exists():
            found = [int(p) for p in pids.read_text().split()]
            if len(found) >= count:
                return found
        time.sleep(0.05)
    raise AssertionError("workers never started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too; it only waits for its parent to reap it.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_a_dead_worker_is_reported_and_the_run_carries_on(tmp_path: Path, target: Target) -> None:
    process, pids = _start(tmp_path, target, "--processes", "2", "-t", "4s", "--json", "r.json")
    victim = _worker_pids(pids, 2)[0]
    time.sleep(1.0)
    os.kill(victim, signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    lost = [line for line in err.splitlines() if "lost" in line]
    assert lost and "killed by SIGKILL" in lost[0] and "carrying on with 1" in lost[0]
    assert "Traceback" not in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["requests"] > 0
    assert report["workers_lost"], report


def test_workers_exit_when_the_master_dies(tmp_path: Path, target: Target) -> None:
    process, pids = _start(tmp_path, target, "--processes", "2", "-t", "60s")
    workers = _worker_pids(pids, 2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_ctrl_c_stops_gracefully_and_still_reports(tmp_path: Path, target: Target) -> None:
    process, pids = _start(tmp_path, target, "--processes", "2", "-t", "60s", "--json", "r.json")
    _worker_pids(pids, 2)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Aggregated" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["requests"] > 0


def test_second_ctrl_c_stops_at_once(tmp_path: Path, target: Target) -> None:
    pids = tmp_path / "pids.txt"
    (tmp_path / "tasks.py").write_text(
        TASKS.format(pids=str(pids)).replace('self.client.get("/")', 'self.client.get("/delay/20000")')
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fastswarm",
            "-H",
            target.url,
            "--headless",
            "-u",
            "2",
            "-r",
            "100",
            "-t",
            "60s",
            "--stop-timeout",
            "60",
            "--processes",
            "2",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    _worker_pids(pids, 2)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert process.poll() is None, "one Ctrl-C must wait for the 20 s tasks (stop-timeout 60 s)"
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert "Aggregated" in out and "Traceback" not in err
