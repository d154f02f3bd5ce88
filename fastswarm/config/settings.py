"""Config: every knob of a run, checked once when built, never changed afterwards.

Values come from the config file (``fastswarm.toml`` or ``[tool.fastswarm]`` in
pyproject.toml), then ``FASTSWARM_*`` variables, then the command line; click applies
that order and ``cli.py`` turns the result into a Config. Errors name the setting.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastswarm.exception import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str | float | int, setting: str = "duration") -> float:
    """Seconds in ``text``: ``30``, ``30s``, ``5m``, ``1h30m``, ``250ms``."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        raw = text.strip().lower()
        try:
            seconds = float(raw)
        except ValueError:
            parts = _DURATION_PART.findall(raw)
            if not parts or "".join(n + u for n, u in parts) != raw:
                raise ConfigError(
                    f"{setting}: {text!r} is not a duration (examples: 30s, 5m, 1h30m)"
                ) from None
            scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
            seconds = sum(float(n) * scale[u] for n, u in parts)
    if seconds < 0:
        raise ConfigError(f"{setting}: must not be negative")
    return seconds


def parse_rate(text: str | float | int, setting: str = "--rate") -> tuple[float, float]:
    """``R`` or ``R1:R2`` iterations per second, as (start, end)."""
    parts = str(text).split(":")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise ConfigError(f"{setting}: {text!r} is not a rate (examples: 200, 100:2000)") from None
    if len(values) not in (1, 2) or any(v <= 0 for v in values):
        raise ConfigError(f"{setting}: {text!r} must be R or R1:R2 with each rate > 0")
    return (values[0], values[-1])


def usable_cores() -> int:
    """The CPUs this process may run on (respects taskset and cgroups' affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parse_processes(text: str | int) -> int:
    """``auto`` → one per usable core; otherwise a positive integer."""
    if isinstance(text, str) and text.strip().lower() == "auto":
        return usable_cores()
    try:
        count = int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"--processes: {text!r} is neither a number nor 'auto'") from None
    if count < 1:
        raise ConfigError("--processes: must be at least 1 (or 'auto')")
    return count


def find_config_file(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The settings of ``fastswarm.toml``, else of pyproject's ``[tool.fastswarm]``, in ``start``."""
    folder = start or Path.cwd()
    own = folder / "fastswarm.toml"
    if own.is_file():
        return own, _read_toml(own)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        section = _read_toml(pyproject).get("tool", {}).get("fastswarm")
        if isinstance(section, dict):
            return pyproject, section
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Config:
    """One run's settings. Build with keywords; change with ``dataclasses.replace``."""

    locustfile: str = "tasks.py"
    host: str | None = None
    users: int = 1
    spawn_rate: float = 1.0
    run_time: float | None = None
    headless: bool = False
    processes: int = 1
    stop_timeout: float = 0.0
    report_interval: float = 1.0
    console_interval: float = 3.0
    json_path: str | None = None
    csv_prefix: str | None = None
    exit_code_on_error: int = 1
    loglevel: str = "INFO"
    user_class_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    list_users: bool = False
    # distributed mode (Locust's names)
    master: bool = False
    worker: bool = False
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    master_bind_host: str = "*"
    expect_workers: int = 1
    expect_workers_timeout: float = 30.0
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 10.0
    # status endpoint and reports
    web_host: str = "127.0.0.1"
    web_port: int = 8089
    no_web: bool = False
    autostart: bool = False
    autoquit: float | None = None
    web_auth_token: str | None = None
    html_path: str | None = None
    hdr_log_path: str | None = None
    max_names: int = 2000  # distinct (method, name) rows; later names share an "(other)" row
    # open model and pass/fail checks
    rate: tuple[float, float] | None = None
    arrival: str = "uniform"
    ramp: float | None = None
    max_users: int = 1000
    checks: tuple[str, ...] = ()
    check_abort: bool = False
    extra_options: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        """A tasks file's custom option (``environment.parsed_options.my_opt``), as Locust reads it."""
        if name != "extra_options" and not name.startswith("__"):
            options = self.extra_options
            if name in options:
                return options[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __post_init__(self) -> None:
        if self.users < 0:
            raise ConfigError("--users: must be 0 or more")
        if self.spawn_rate <= 0:
            raise ConfigError("--spawn-rate: must be greater than 0")
        if self.run_time is not None and self.run_time <= 0:
            raise ConfigError("--run-time: must be greater than 0")
        if self.processes < 1:
            raise ConfigError("--processes: must be at least 1")
        if self.report_interval <= 0:
            raise ConfigError("--report-interval: must be greater than 0")
        if self.stop_timeout < 0:
            raise ConfigError("--stop-timeout: must not be negative")
        if self.master and self.worker:
            raise ConfigError("--master and --worker exclude each other")
        if self.expect_workers < 1:
            raise ConfigError("--expect-workers: must be at least 1")
        if not 0 <= self.web_port <= 65535:
            raise ConfigError("--web-port: must be between 0 and 65535")
        if self.max_users < 1:
            raise ConfigError("--max-users: must be at least 1")
        if self.max_names < 1:
            raise ConfigError("--max-names: must be at least 1")
        if self.ramp is not None and self.rate is None:
            raise ConfigError("--ramp: needs --rate R1:R2")
        if self.arrival not in ("uniform", "poisson"):
            raise ConfigError("--arrival: must be uniform or poisson")
        if self.host is not None and not re.match(r"^https?://[^/\s]+", self.host):
            raise ConfigError(f"--host: {self.host!r} is not an http:// or https:// URL")
        if self.checks:  # a typo in a threshold is exit 2 before any load is sent
            from fastswarm.config.check_expr import parse_checks

            parse_checks(self.checks)
