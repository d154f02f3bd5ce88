"""Shared helpers for the accuracy scripts: a built-in target, a fastswarm run, its JSON report.

Not tests: each script prints figures. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
# FastHttpUser: the client made for measuring. urllib3's HttpUser adds ~0.5 ms of its own to
# a delayed response's p50 on this box (measured: +4.7 % vs the target's clock, FastHttpUser -0.5 %).
ONE_GET = """
from fastswarm import task
from fastswarm.contrib.fasthttp import FastHttpUser

class One(FastHttpUser):
    @task
    def get(self):
        self.client.get({path!r})
"""


@contextmanager
def target(*extra: str) -> Iterator[str]:
    """The built-in target on a free port; yields its base URL."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "fastswarm.target", "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    try:
        yield line[line.index("http://") :]
    finally:
        proc.kill()
        proc.wait(timeout=5)


def fastswarm_open(
    url: str, path: str, rate: float, seconds: float, processes: int, *extra: str
) -> dict[str, Any]:
    """Run ``--rate`` against ``url + path`` (one GET per iteration) and return the JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        tasks = Path(tmp) / "tasks.py"
        tasks.write_text(ONE_GET.format(path=path))
        report = Path(tmp) / "report.json"
        cmd = [
            PYTHON, "-m", "fastswarm", "-f", str(tasks), "-H", url, "--headless",
            "--rate", str(rate), "-t", f"{seconds}s", "--processes", str(processes),
            "--max-users", "2000", "--stop-timeout", "5", "--no-web",
            "--json", str(report), "--csv", str(Path(tmp) / "run"), *extra,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env, timeout=seconds + 60)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"fastswarm exited {done.returncode}: {done.stderr[-2000:]}")
        out: dict[str, Any] = json.loads(report.read_text())
        out["_wall_s"] = time.monotonic() - t0
        history = Path(tmp) / "run_stats_history.csv"
        out["_history"] = history.read_text() if history.exists() else ""
        return out


def per_second_rates(history_csv: str) -> list[float]:
    """Requests/s of each full second in the run's history (first and last dropped: partial)."""
    rows = [line.split(",") for line in history_csv.strip().splitlines()[1:]]
    rates = [float(r[4]) for r in rows if len(r) > 4]
    return rates[1:-1]
