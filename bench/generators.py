"""The load generators the bench compares: how to check, start and read each one.

Every generator does the same work: --users concurrent users, no wait time, one task GET / against
the nginx target, for --duration seconds. Completed requests come from the tool's own output, and
so does the measured duration where the tool reports one (so start-up is left out of req/s).
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FASTSWARM_PY = REPO / ".venv" / "bin" / "python"
FASTSWARM_CLI = REPO / ".venv" / "bin" / "fastswarm"
LOCUST_PY = BENCH / ".locust-venv" / "bin" / "python"
LOCUST_CLI = BENCH / ".locust-venv" / "bin" / "locust"


@dataclass(frozen=True, slots=True)
class RunSpec:
    port: int
    users: int
    duration_s: int
    workdir: Path  # scratch directory for this one run

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True, slots=True)
class Count:
    requests: int
    failures: int
    duration_s: float | None  # as measured by the tool; None if it reports none


class OutputError(Exception):
    """A generator's output could not be read."""


@dataclass(frozen=True, slots=True)
class Generator:
    name: str  # --only key
    title: str  # table label
    unavailable: Callable[[], str | None]  # reason it cannot run, or None
    argv: Callable[[RunSpec], list[str]]
    parse: Callable[[RunSpec, str], Count]  # (spec, stdout) -> Count


def _import_fails(python: Path, module: str) -> str | None:
    if not python.exists():
        return f"{python.relative_to(REPO)} missing"
    r = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        return None
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    return f"import {module}: {lines[-1] if lines else 'failed'}"


def _fastswarm_unavailable(module: str) -> Callable[[], str | None]:
    def check() -> str | None:
        if not FASTSWARM_CLI.exists():
            return ".venv/bin/fastswarm missing"
        return _import_fails(FASTSWARM_PY, module)

    return check


def _locust_unavailable() -> str | None:
    if not LOCUST_CLI.exists():
        return "bench/.locust-venv missing: run bench/setup_locust.sh"
    return _import_fails(LOCUST_PY, "locust")


def _headless_argv(cli: Path, tasks: str, spec: RunSpec) -> list[str]:
    """The Locust-style command line both tools take: all users at once, for the duration."""
    n = str(spec.users)
    return [str(cli), "-f", str(BENCH / "tasks" / tasks), "-H", spec.url, "--headless",
            "-u", n, "-r", n, "-t", f"{spec.duration_s}s"]  # fmt: skip


def _fastswarm_argv(tasks: str) -> Callable[[RunSpec], list[str]]:
    def argv(spec: RunSpec) -> list[str]:
        return [
            *_headless_argv(FASTSWARM_CLI, tasks, spec),
            "--processes",
            "1",
            "--json",
            str(spec.workdir / "report.json"),
        ]

    return argv


_DURATION_KEYS = ("duration_s", "duration", "elapsed_s", "elapsed", "run_time", "runtime")


def _find_duration(report: dict[str, object]) -> float | None:
    """The measured duration, wherever the report keeps it (its schema is still settling)."""
    for where in (report, report.get("totals"), report.get("run"), report.get("meta")):
        if not isinstance(where, dict):
            continue
        for key in _DURATION_KEYS:
            v = where.get(key)
            if isinstance(v, int | float) and v > 0:
                return float(v)
        start, end = (
            where.get("started_at", where.get("start_time")),
            where.get("ended_at", where.get("end_time")),
        )
        if isinstance(start, int | float) and isinstance(end, int | float) and end > start:
            return float(end - start)
    return None


def _fastswarm_parse(spec: RunSpec, stdout: str) -> Count:
    path = spec.workdir / "report.json"
    try:
        report = json.loads(path.read_text())
        totals = report["totals"]
        requests = int(totals["requests"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OutputError(f"no totals.requests in {path.name}: {e!r}") from e
    failures = int(totals.get("failures", 0) or 0)
    duration = _find_duration(report)
    if duration is None:
        rps = totals.get("rps", totals.get("requests_per_second"))
        if isinstance(rps, int | float) and rps > 0:
            duration = requests / rps
    return Count(requests, failures, duration)


def _locust_argv(tasks: str) -> Callable[[RunSpec], list[str]]:
    def argv(spec: RunSpec) -> list[str]:
        return [
            *_headless_argv(LOCUST_CLI, tasks, spec),
            "--json-file",
            str(spec.workdir / "locust"),
            "--csv",
            str(spec.workdir / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]

    return argv


def _locust_parse(spec: RunSpec, stdout: str) -> Count:
    """Final counts from --json-file; the --csv Aggregated row only if the JSON is missing.

    Locust rewrites its CSV once a second and does not rewrite it at shutdown, so the CSV misses up
    to the last second of requests; the JSON file is written after the runner has stopped.
    """
    path = spec.workdir / "locust.json"
    if not path.exists():
        return _locust_parse_csv(spec)
    try:
        entries = json.loads(path.read_text())
        requests = sum(int(e["num_requests"]) for e in entries)
        failures = sum(int(e["num_failures"]) for e in entries)
        starts = [float(e["start_time"]) for e in entries]
        lasts = [float(e["last_request_timestamp"]) for e in entries if e.get("last_request_timestamp")]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OutputError(f"unreadable {path.name}: {e!r}") from e
    # Each entry's start_time is its first request; so this is first to last request.
    duration = max(lasts) - min(starts) if starts and lasts and max(lasts) > min(starts) else None
    return Count(requests, failures, duration)


def _locust_parse_csv(spec: RunSpec) -> Count:
    path = spec.workdir / "locust_stats.csv"
    try:
        with path.open(newline="") as f:
            row = next(r for r in csv.DictReader(f) if r.get("Name") == "Aggregated")
        requests = int(row["Request Count"])
        failures = int(row["Failure Count"])
        rps = float(row["Requests/s"])
    except (OSError, StopIteration, KeyError, ValueError) as e:
        raise OutputError(f"no Aggregated row in {path.name}: {e!r}") from e
    # Locust's Requests/s is requests / (last request - start), i.e. its own measured duration.
    return Count(requests, failures, requests / rps if rps > 0 else None)


def _bare_argv(python: Path, script: str) -> Callable[[RunSpec], list[str]]:
    def argv(spec: RunSpec) -> list[str]:
        return [
            str(python),
            str(BENCH / script),
            "--port",
            str(spec.port),
            "--users",
            str(spec.users),
            "--duration",
            str(spec.duration_s),
        ]

    return argv


def _bare_parse(spec: RunSpec, stdout: str) -> Count:
    lines = stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
        count = Count(int(result["requests"]), int(result["failures"]), float(result["duration"]))
    except (IndexError, ValueError, KeyError, TypeError) as e:
        raise OutputError(f"no JSON result line on stdout: {e!r}") from e
    if "error" in result:
        raise OutputError(f"a loop failed: {result['error']}")
    return count


GENERATORS: tuple[Generator, ...] = (
    Generator(
        "fastswarm_http",
        "fastswarm HttpUser",
        _fastswarm_unavailable("fastswarm"),
        _fastswarm_argv("fastswarm_http.py"),
        _fastswarm_parse,
    ),
    Generator(
        "locust_http", "Locust HttpUser", _locust_unavailable, _locust_argv("locust_http.py"), _locust_parse
    ),
    Generator(
        "fastswarm_fast",
        "fastswarm FastHttpUser",
        _fastswarm_unavailable("fastswarm.contrib.fasthttp"),
        _fastswarm_argv("fastswarm_fast.py"),
        _fastswarm_parse,
    ),
    Generator(
        "locust_fast",
        "Locust FastHttpUser",
        _locust_unavailable,
        _locust_argv("locust_fast.py"),
        _locust_parse,
    ),
    Generator(
        "bare_gevent_httptools",
        "bare gevent+httptools",
        lambda: _import_fails(FASTSWARM_PY, "gevent, httptools"),
        _bare_argv(FASTSWARM_PY, "bare_gevent_httptools.py"),
        _bare_parse,
    ),
    Generator(
        "bare_geventhttpclient",
        "bare geventhttpclient",
        lambda: _import_fails(LOCUST_PY, "geventhttpclient"),
        _bare_argv(LOCUST_PY, "bare_geventhttpclient.py"),
        _bare_parse,
    ),
    Generator(
        "bare_urllib3",
        "bare urllib3",
        lambda: _import_fails(FASTSWARM_PY, "gevent, urllib3"),
        _bare_argv(FASTSWARM_PY, "bare_urllib3.py"),
        _bare_parse,
    ),
)

# (numerator, denominator) of the ratios the table ends with.
RATIOS: tuple[tuple[str, str], ...] = (
    ("fastswarm_http", "locust_http"),
    ("fastswarm_fast", "locust_fast"),
    ("fastswarm_fast", "bare_gevent_httptools"),
)
