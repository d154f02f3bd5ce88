"""Summaries, the results table (console and bench/RESULTS.md), and the machine/version header."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from generators import FASTSWARM_PY, LOCUST_PY, RATIOS, Generator

METHOD_NOTE = (
    "req/s = completed requests / the duration the tool measured itself (start-up excluded; "
    "bare loops time their own loop). CPU µs/req = user+sys CPU of the generator's whole process "
    "tree (kernel rusage of the reaped children, start-up and shutdown included) / completed requests. "
    "core busy = that CPU / the process's wall time (about 100% means the generator was the bottleneck). "
    "Generator pinned to one core, nginx (1 worker) to another; runs interleaved across generators."
)


@dataclass(frozen=True, slots=True)
class RunResult:
    generator: str
    rep: int
    requests: int
    failures: int
    rps: float
    cpu_us_per_req: float
    cpu_s: float
    busy_pct: float  # generator CPU / wall time of its process: ~100 means it saturated its core
    note: str  # empty when clean


@dataclass(frozen=True, slots=True)
class Summary:
    title: str
    reps: int
    rps: float | None
    cpu_us: float | None
    cpu_min: float | None
    cpu_max: float | None
    failures: int
    busy_pct: float | None
    note: str  # "n/a (reason)" when no run succeeded


def summarize(gen: Generator, runs: list[RunResult], errors: list[str], unavailable: str | None) -> Summary:
    if unavailable is not None:
        return Summary(gen.title, 0, None, None, None, None, 0, None, f"n/a ({unavailable})")
    if not runs:
        reason = errors[0] if errors else "not run"
        return Summary(gen.title, 0, None, None, None, None, 0, None, f"n/a ({reason})")
    cpus = [r.cpu_us_per_req for r in runs]
    notes = sorted({r.note for r in runs if r.note} | set(errors))
    return Summary(
        title=gen.title,
        reps=len(runs),
        rps=statistics.median(r.rps for r in runs),
        cpu_us=statistics.median(cpus),
        cpu_min=min(cpus),
        cpu_max=max(cpus),
        failures=sum(r.failures for r in runs),
        busy_pct=statistics.median(r.busy_pct for r in runs),
        note="; ".join(notes),
    )


def _num(v: float | None, fmt: str = "{:,.0f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def table(summaries: list[Summary]) -> str:
    lines = [
        "| generator | reps | req/s (median) | CPU µs/req (median) | CPU µs/req min–max "
        "| core busy | failures | notes |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for s in summaries:
        spread = "n/a" if s.cpu_min is None else f"{s.cpu_min:,.1f}–{s.cpu_max:,.1f}"
        lines.append(
            f"| {s.title} | {s.reps} | {_num(s.rps)} | {_num(s.cpu_us, '{:,.1f}')} | {spread} "
            f"| {_num(s.busy_pct, '{:.0f}%')} | {s.failures} | {s.note} |"
        )
    return "\n".join(lines)


def ratio_table(by_name: dict[str, Summary]) -> str:
    lines = ["| ratio | req/s | CPU µs/req |", "|---|--:|--:|"]
    header_len = len(lines)
    for num, den in RATIOS:
        a, b = by_name.get(num), by_name.get(den)
        if a is None or b is None:
            continue
        title = f"{a.title} / {b.title}"
        if a.rps is None or b.rps is None or a.cpu_us is None or b.cpu_us is None:
            lines.append(f"| {title} | n/a | n/a |")
        else:
            lines.append(f"| {title} | {a.rps / b.rps:.2f}× | {a.cpu_us / b.cpu_us:.2f}× |")
    if len(lines) == header_len:
        return "(no ratio: a pair was not selected)"
    return "\n".join(lines)


def _cmd(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"n/a ({e.__class__.__name__})"
    out = (r.stdout or r.stderr).strip()
    return out if r.returncode == 0 and out else "n/a"


def _pkg_versions(python: Path, names: list[str]) -> str:
    if not python.exists():
        return "n/a"
    code = (
        "import importlib.metadata as m, sys\n"
        f"for n in {names!r}:\n"
        "    try: print(n, m.version(n))\n"
        "    except m.PackageNotFoundError: print(n, 'n/a')\n"
    )
    return ", ".join(_cmd([str(python), "-c", code]).splitlines())


_FASTSWARM_PKGS = ("fastswarm", "gevent", "urllib3", "httptools")
_LOCUST_PKGS = ("locust", "gevent", "geventhttpclient", "requests")


def machine_lines(nginx: str) -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    py = _cmd([str(FASTSWARM_PY), "-c", "import platform; print(platform.python_version())"])
    nginx_v = _cmd([nginx, "-v"]).removeprefix("nginx version: ")
    return [
        f"- machine: {model}, nproc {os.cpu_count()}, {platform.system()} {platform.release()}",
        f"- python {py}; fastswarm venv: {_pkg_versions(FASTSWARM_PY, list(_FASTSWARM_PKGS))}",
        f"- locust venv: {_pkg_versions(LOCUST_PY, list(_LOCUST_PKGS))}",
        f"- target: {nginx_v}",
    ]


def render(title: str, header: list[str], summaries: list[Summary], by_name: dict[str, Summary]) -> str:
    return "\n".join(
        [f"## {title}", "", *header, "", table(summaries), "", ratio_table(by_name), "", METHOD_NOTE, ""]
    )


def append_results(path: Path, section: str) -> None:
    new = not path.exists()
    with path.open("a") as f:
        if new:
            f.write("# fastswarm benchmark results\n\nAppended by `bench/run.py`; newest last.\n\n")
        f.write(section + "\n")
