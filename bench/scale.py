"""Throughput and CPU per request of fastswarm FastHttpUser for --processes 1, 2, 4 ... up to nproc.

    python bench/scale.py [--users 50] [--duration 10] [--reps 2] [--tasks fastswarm_fast.py]

nginx (bench/nginx.sh, one worker) may run on any core and shares the box with the generator;
each run uses ``--users`` users in total. CPU is the kernel's rusage of the generator's whole
process tree (master + workers). The figures and the ratio to one process are printed and
appended to bench/RESULTS.md (--no-record to skip).
Goal (issue 3): --processes 2 reaches >= 1.7x the throughput of one process, at about the same
CPU per request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generators import BENCH, RunSpec, _fastswarm_argv, _fastswarm_parse
from procs import enable_subreaper, run_measured
from report import append_results, machine_lines
from run import _free_port


def _counts(n: int) -> list[int]:
    out, p = [], 1
    while p < n:
        out.append(p)
        p *= 2
    return [*out, n]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--tasks", default="fastswarm_fast.py")
    p.add_argument("--no-record", action="store_true")
    a = p.parse_args()
    nproc = os.cpu_count() or 1
    counts = _counts(nproc)
    stamp = dt.datetime.now(dt.timezone.utc)
    logs = BENCH / "out" / ("scale-" + stamp.strftime("%Y%m%dT%H%M%SZ"))
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    prefix = Path(tempfile.mkdtemp(prefix="fastswarm-scale-nginx-"))
    cpus = f"0-{nproc - 1}"
    env = {**os.environ, "NGINX_CPU": cpus}
    if subprocess.run([str(BENCH / "nginx.sh"), "start", str(port), str(prefix)], env=env).returncode:
        print("scale: could not start nginx", file=sys.stderr)
        return 1
    enable_subreaper()
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    try:
        for rep in range(1, a.reps + 1):
            for n in counts:  # interleaved: 1 2 4 .. 1 2 4
                spec = RunSpec(port, a.users, a.duration, logs / f"p{n}-rep{rep}")
                spec.workdir.mkdir(parents=True, exist_ok=True)
                argv = _fastswarm_argv(a.tasks)(spec)
                argv[argv.index("--processes") + 1] = str(n)
                res = run_measured(argv, logs / f"p{n}-rep{rep}", timeout_s=a.duration + 90)
                count = _fastswarm_parse(spec, res.stdout)
                rps = count.requests / (count.duration_s or a.duration)
                us = res.cpu_s * 1e6 / max(count.requests, 1)
                results[n].append((rps, us))
                print(f"rep {rep} --processes {n}: {rps:,.0f} req/s, {us:.1f} CPU µs/req", file=sys.stderr)
    finally:
        subprocess.run([str(BENCH / "nginx.sh"), "stop", str(prefix)], check=False)
        shutil.rmtree(prefix, ignore_errors=True)

    def median(xs: list[float]) -> float:
        s = sorted(xs)
        return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2

    base = median([r for r, _ in results[1]])
    rows = ["| --processes | req/s (median) | × one process | CPU µs/req (median) |", "|--:|--:|--:|--:|"]
    for n in counts:
        rps = median([r for r, _ in results[n]])
        us = median([u for _, u in results[n]])
        rows.append(f"| {n} | {rps:,.0f} | {rps / base:.2f}× | {us:.1f} |")
    cmd = "python bench/scale.py " + " ".join(sys.argv[1:])
    section = "\n".join(
        [
            f"## {stamp:%Y-%m-%d %H:%M} UTC — `{cmd.strip()}` (scaling, {a.tasks})",
            "",
            *machine_lines(shutil.which("nginx") or "/usr/sbin/nginx"),
            f"- {a.users} users in total, {a.duration} s per run, {a.reps} rep(s), interleaved; nginx "
            f"(1 worker) free to run on CPUs {cpus}, sharing them with the generator",
            f"- logs in bench/out/{logs.name}/",
            "",
            *rows,
            "",
        ]
    )
    print(section)
    if not a.no_record:
        append_results(BENCH / "RESULTS.md", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
