"""fastswarm vs Locust vs bare request loops, against a local nginx, CPU-pinned and interleaved.

    python bench/run.py [--quick] [--reps 3] [--users 50] [--duration 10] [--only NAME[,NAME]]
                        [--baseline DIR]

nginx runs on --nginx-cpu (default 0), each generator on --gen-cpu (default 1) under taskset. Each
rep runs every selected generator once, in turn (A B C A B C ...). Results go to the console and are
appended to bench/RESULTS.md (--no-record to skip); per-run logs are kept under bench/out/.

``--baseline DIR`` (a checkout or export of another commit, e.g. ``git archive main fastswarm``) adds a
twin of each selected fastswarm generator that imports fastswarm from DIR (PYTHONPATH), run right after
it in every rep: before and after a change measured side by side, in one run, on the same load.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from generators import BENCH, GENERATORS, Generator, OutputError, RunSpec
from procs import enable_subreaper, run_measured
from report import RunResult, Summary, append_results, machine_lines, render, summarize


@dataclass(frozen=True, slots=True)
class Options:
    reps: int
    users: int
    duration_s: int
    only: tuple[str, ...]
    gen_cpu: int
    nginx_cpu: int
    record: bool
    quick: bool
    baseline: Path | None

    def __post_init__(self) -> None:
        known = {g.name for g in GENERATORS}
        unknown = [n for n in self.only if n not in known]
        if unknown:
            raise SystemExit(
                f"--only: unknown generator(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if self.reps < 1 or self.users < 1 or self.duration_s < 1:
            raise SystemExit("--reps, --users and --duration must be >= 1")
        if self.baseline is not None and not (self.baseline / "fastswarm" / "__init__.py").is_file():
            raise SystemExit(f"--baseline: no fastswarm package in {self.baseline}")


def parse_options(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 rep of 3 s each (unless --reps/--duration given)")
    p.add_argument("--reps", type=int, default=None, help="runs per generator (default 3, quick 1)")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=int, default=None, help="seconds per run (default 10, quick 3)")
    p.add_argument(
        "--only", default="", help="comma-separated generator names: " + ", ".join(g.name for g in GENERATORS)
    )
    p.add_argument("--gen-cpu", type=int, default=1)
    p.add_argument("--nginx-cpu", type=int, default=0)
    p.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    p.add_argument("--baseline", default=None, help="also run each fastswarm generator on DIR's fastswarm")
    a = p.parse_args(argv)
    return Options(
        reps=a.reps if a.reps is not None else (1 if a.quick else 3),
        users=a.users,
        duration_s=a.duration if a.duration is not None else (3 if a.quick else 10),
        only=tuple(n.strip() for n in a.only.split(",") if n.strip()),
        gen_cpu=a.gen_cpu,
        nginx_cpu=a.nginx_cpu,
        record=not a.no_record,
        quick=a.quick,
        baseline=Path(a.baseline).resolve() if a.baseline else None,
    )


def with_baseline(gens: list[Generator], baseline: Path) -> list[Generator]:
    """Each fastswarm generator followed by its twin on ``baseline``'s code (same argv, PYTHONPATH).

    The console script's own folder, not the working directory, heads sys.path, so PYTHONPATH
    wins over the editable install.
    """
    out: list[Generator] = []
    for g in gens:
        out.append(g)
        if g.name.startswith("fastswarm_"):
            argv = g.argv
            out.append(
                replace(
                    g,
                    name=f"{g.name}@base",
                    title=f"{g.title} (baseline)",
                    argv=lambda spec, argv=argv: ["env", f"PYTHONPATH={baseline}", *argv(spec)],
                )
            )
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_once(gen: Generator, spec: RunSpec, rep: int, cpu: int, logs: Path) -> RunResult:
    spec.workdir.mkdir(parents=True, exist_ok=True)
    res = run_measured(
        ["taskset", "-c", str(cpu), *gen.argv(spec)],
        logs / f"{gen.name}-rep{rep}",
        timeout_s=spec.duration_s + 90,
    )
    if res.timed_out:
        raise OutputError(f"timed out after {res.wall_s:.0f}s")
    try:
        count = gen.parse(spec, res.stdout)
    except OutputError as e:
        tail = (res.stderr.strip().splitlines() or ["no stderr"])[-1]
        raise OutputError(f"exit {res.returncode}: {e}; stderr: {tail[:200]}") from e
    if count.requests <= 0:
        raise OutputError(f"exit {res.returncode}: 0 requests completed")
    notes = []
    if res.returncode != 0:
        notes.append(f"exit {res.returncode}")
    if res.strays:
        notes.append(f"{res.strays} process(es) outlived the generator")
    if res.strays_unaccounted:
        notes.append(f"{res.strays_unaccounted} stray process(es) not in CPU figure")
    duration = count.duration_s
    if duration is None:
        duration = float(spec.duration_s)
        notes.append("req/s over configured -t (tool reports no duration)")
    return RunResult(
        gen.name,
        rep,
        count.requests,
        count.failures,
        count.requests / duration,
        res.cpu_s * 1e6 / count.requests,
        res.cpu_s,
        100.0 * res.cpu_s / res.wall_s if res.wall_s > 0 else 0.0,
        ", ".join(notes),
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    gens = [g for g in GENERATORS if not opts.only or g.name in opts.only]
    if opts.baseline is not None:
        gens = with_baseline(gens, opts.baseline)
        compileall.compile_dir(str(opts.baseline / "fastswarm"), quiet=1)
    stamp = dt.datetime.now(dt.timezone.utc)
    logs = BENCH / "out" / stamp.strftime("%Y%m%dT%H%M%SZ")
    logs.mkdir(parents=True, exist_ok=True)

    # A pip install compiles the package; an editable one under PYTHONDONTWRITEBYTECODE never
    # does, so every run would recompile fastswarm (~0.3 s CPU) while Locust's venv has its .pyc.
    compileall.compile_dir(str(BENCH.parent / "fastswarm"), quiet=1)

    unavailable = {g.name: g.unavailable() for g in gens}
    for g in gens:
        if unavailable[g.name]:
            print(f"skip {g.name}: {unavailable[g.name]}", file=sys.stderr)

    port = _free_port()
    prefix = Path(tempfile.mkdtemp(prefix="fastswarm-bench-nginx-"))
    env_cpu = {"NGINX_CPU": str(opts.nginx_cpu)}
    started = subprocess.run(
        [str(BENCH / "nginx.sh"), "start", str(port), str(prefix)], env={**os.environ, **env_cpu}
    )
    if started.returncode != 0:
        print(f"bench: could not start nginx (bench/nginx.sh exit {started.returncode})", file=sys.stderr)
        return 1
    # After nginx has daemonized (so it is not re-parented here), before any generator starts.
    if not enable_subreaper():
        print(
            "warning: could not become child subreaper; orphaned workers' CPU may be missed", file=sys.stderr
        )
    runs: dict[str, list[RunResult]] = {g.name: [] for g in gens}
    errors: dict[str, list[str]] = {g.name: [] for g in gens}
    try:
        for rep in range(1, opts.reps + 1):
            for g in gens:
                if unavailable[g.name]:
                    continue
                spec = RunSpec(port, opts.users, opts.duration_s, logs / f"{g.name}-rep{rep}")
                try:
                    r = _run_once(g, spec, rep, opts.gen_cpu, logs)
                except OutputError as e:
                    errors[g.name].append(str(e))
                    print(f"rep {rep} {g.name:<22} FAILED: {e}", file=sys.stderr)
                    continue
                runs[g.name].append(r)
                print(
                    f"rep {rep} {g.name:<22} {r.requests:>9,} req  {r.rps:>9,.0f} req/s  "
                    f"{r.cpu_us_per_req:>8.1f} µs/req  cpu {r.cpu_s:.2f}s ({r.busy_pct:.0f}%) {r.note}",
                    file=sys.stderr,
                )
                time.sleep(0.5)
    finally:
        subprocess.run([str(BENCH / "nginx.sh"), "stop", str(prefix)], check=False)
        shutil.rmtree(prefix, ignore_errors=True)

    summaries = [summarize(g, runs[g.name], errors[g.name], unavailable[g.name]) for g in gens]
    by_name: dict[str, Summary] = {g.name: s for g, s in zip(gens, summaries, strict=True)}
    cmd = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    title = f"{stamp:%Y-%m-%d %H:%M} UTC — `{cmd.strip()}`"
    header = [
        *machine_lines(shutil.which("nginx") or "/usr/sbin/nginx"),
        f"- {opts.users} users, {opts.duration_s} s per run, {opts.reps} rep(s); "
        f"generator on CPU {opts.gen_cpu}, nginx on CPU {opts.nginx_cpu}; logs in bench/out/{logs.name}/",
    ]
    section = render(title, header, summaries, by_name)
    print(section)
    if opts.record:
        append_results(BENCH / "RESULTS.md", section)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; nothing recorded", file=sys.stderr)
        sys.exit(130)
