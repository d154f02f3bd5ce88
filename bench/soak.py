"""Soak: a long run at a steady open-model rate over many request names; does memory stay flat?

    python bench/soak.py [--minutes 30 | --quick] [--rate 300] [--names 3000] [--processes 2]

Starts the built-in target (``fastswarm target``) on 127.0.0.1 and runs fastswarm against it
headless for the given time (30 min; 10 with ``--quick``) at ``--rate`` task iterations per
second, each a GET of one of ``--names`` distinct URLs without ``name=`` (more than the
default 2,000-name cap, so the "(other)" row is exercised too). Every ``--every`` seconds
(10) the resident set size (VmRSS, /proc) of the master and of each worker is sampled.
Printed: the samples (one line a minute, with the users the open model's pool holds: a stall of
the box makes the pool grow, and each user costs memory in its worker), then each process's
growth from its first sample after ``--settle`` seconds (60) to its last and to its highest
before the run's last 30 s (when the master builds the summary and the reports: that peak is
printed beside it, not judged). Goal (issue 11): < 5 %. The master keeps every name's latencies
exactly, so its counters grow with the distinct latencies each name has recorded (16 bytes a
counter, up to a 184 KB dense row a name): the soak reads that figure from /stats
(``histogram_bytes``) with each sample and judges the master on its RSS less that growth,
printing both. Variables such as MALLOC_TRIM_THRESHOLD_ pass through to fastswarm, to tell
memory held from memory the C heap keeps after freeing it.
Also printed: requests the report counted vs requests the target served (nothing lost).
Exit status 0 when every process met the goal and the counts agree, else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_PERCENT = 5.0

TASKS = """
import random
from fastswarm import HttpUser, task

NAMES = {names}

class Soak(HttpUser):
    @task
    def item(self):
        self.client.get(f"/anything/{{random.randrange(NAMES)}}")  # a distinct name each, no name=
"""


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the master's forked workers), from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            out.append(int(entry.name))
    return sorted(out)


def _users(log: Path) -> str:
    """The latest 'users: N' of the live table in fastswarm's output."""
    try:
        with log.open("rb") as f:
            f.seek(max(0, log.stat().st_size - (4 << 20)))  # a live table of 2,000 rows is ~300 KB
            tail = f.read().decode(errors="replace")
    except OSError:
        return "?"
    at = tail.rfind("users: ")
    return tail[at + 7 :].split()[0] if at >= 0 else "?"


def _start_target() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastswarm.target", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"soak: the target did not start: {line!r}")
    return proc, line[line.index("http://") :]


def _served(url: str) -> int:
    import urllib.request

    with urllib.request.urlopen(url + "/__stats", timeout=10) as response:
        return int(json.load(response)["requests"])


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _histogram_kb(port: int) -> int | None:
    """The master's exact latency counters (/stats ``histogram_bytes``), in KB; None if unread."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
            return int(json.load(response)["histogram_bytes"]) // 1024
    except (OSError, ValueError, KeyError):
        return None


def _growth(samples: list[tuple[float, int]], settle_s: float, until_s: float) -> tuple[int, int, int] | None:
    """(RSS at the first sample after settling, last, highest) in KB, up to ``until_s``."""
    after = [kb for t, kb in samples if settle_s <= t <= until_s]
    return (after[0], after[-1], max(after)) if len(after) >= 2 else None


END_S = 30.0  # the run's last seconds: the master builds the summary and the reports then


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--quick", action="store_true", help="10 minutes")
    p.add_argument("--rate", type=float, default=300.0, help="task iterations per second, all workers")
    p.add_argument("--names", type=int, default=3000, help="distinct URLs hit (no name=)")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--max-users", type=int, default=None, help="passed on (the open model's pool)")
    p.add_argument("--every", type=float, default=10.0, help="seconds between RSS samples")
    p.add_argument("--settle", type=float, default=60.0, help="growth is measured from this second on")
    a = p.parse_args()
    minutes = 10.0 if a.quick else a.minutes
    run_s = minutes * 60
    work = Path(tempfile.mkdtemp(prefix="fastswarm-soak-"))
    (work / "tasks.py").write_text(TASKS.format(names=a.names))
    target, url = _start_target()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "fastswarm", "-f", str(work / "tasks.py"), "-H", url, "--headless"]
    argv += ["--rate", f"{a.rate:g}", "-t", f"{int(run_s)}s", "--processes", str(a.processes)]
    web_port = _free_port()  # headless still serves /stats: the master's histogram bytes are read there
    argv += ["--web-host", "127.0.0.1", "--web-port", str(web_port)]
    argv += ["--stop-timeout", "5", "--json", str(work / "report.json")]
    if a.max_users is not None:
        argv += ["--max-users", str(a.max_users)]
    print(f"soak: {minutes:g} min at {a.rate:g}/s over {a.names:,} names, {a.processes} workers; {url}")
    print("soak: " + " ".join(argv[1:]), flush=True)
    series: dict[str, list[tuple[float, int]]] = {}
    with open(work / "fastswarm.log", "w") as log:
        master = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env)
        t0 = time.monotonic()
        next_at, last_print = t0 + a.every, -60.0
        try:
            while master.poll() is None:
                time.sleep(max(0.0, min(1.0, next_at - time.monotonic())))
                if time.monotonic() < next_at:
                    continue
                next_at += a.every
                t = time.monotonic() - t0
                pids = {"master": master.pid}
                pids.update({f"worker {i}": c for i, c in enumerate(_children(master.pid))})
                row = {name: kb for name, pid in pids.items() if (kb := _rss_kb(pid)) is not None}
                if (hist_kb := _histogram_kb(web_port)) is not None:
                    series.setdefault("histograms", []).append((t, hist_kb))
                for name, kb in row.items():
                    series.setdefault(name, []).append((t, kb))
                if t - last_print >= 60 or t >= run_s:
                    last_print = t
                    cells = "  ".join(f"{n} {kb / 1024:7.1f} MB" for n, kb in row.items())
                    if series.get("histograms"):
                        cells += f"  (master's histograms {series['histograms'][-1][1] / 1024:5.1f} MB)"
                    print(f"  t={t:6.0f}s  {cells}  users {_users(work / 'fastswarm.log')}", flush=True)
            master.wait(timeout=run_s + 120)
        finally:
            if master.poll() is None:
                master.kill()
    served = _served(url)
    target.kill()
    ok = master.returncode in (0, 1)
    print(f"fastswarm exit status {master.returncode} (log: {work / 'fastswarm.log'})")
    try:
        report = json.loads((work / "report.json").read_text())
        counted = int(report["totals"]["requests"])
        rows = len(report["endpoints"])
        print(f"requests: report {counted:,}, target served {served:,}; {rows:,} rows in the report")
        ok = ok and counted == served
    except (OSError, ValueError, KeyError):
        print("soak: no JSON report")
        ok = False
    window = f"after the first {a.settle:g} s, to {END_S:g} s before the end"
    print(f"RSS growth {window} (goal < {GOAL_PERCENT:g} %):")
    histograms = series.pop("histograms", [])
    until = run_s - END_S
    hist = _growth(histograms, a.settle, until)
    if hist is not None:
        grown = (hist[1] - hist[0]) / 1024
        print(
            f"  the master's exact latency counters: {hist[0] / 1024:.1f} MB -> {hist[1] / 1024:.1f} MB "
            f"({grown:+.1f} MB: the distinct latencies each name recorded, kept by design; "
            "the master's goal is judged on its RSS less this)"
        )
    for name, samples in series.items():
        if name == "master" and hist is not None:
            hist_at = dict(histograms)
            samples = [(t, kb - (hist_at.get(t, hist[0]) - hist[0])) for t, kb in samples]
        g = _growth(samples, a.settle, until)
        if g is None:
            print(f"  {name}: too few samples")
            ok = False
            continue
        first, last, high = g
        end_peak = max((kb for t, kb in samples if t > until), default=0)
        to_last, to_high = 100 * (last - first) / first, 100 * (high - first) / first
        met = to_high < GOAL_PERCENT
        ok = ok and met
        print(
            f"  {name}: {first / 1024:.1f} MB -> {last / 1024:.1f} MB at the end ({to_last:+.1f} %), "
            f"highest {high / 1024:.1f} MB ({to_high:+.1f} %): {'met' if met else 'NOT met'}"
            + (f"; while summarising (last {END_S:g} s) {end_peak / 1024:.1f} MB" if end_peak else "")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
