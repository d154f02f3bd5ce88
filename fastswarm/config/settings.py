"""Config: every knob of a run, checked once when built, never changed afterwards.

Values come from the config file (``fastswarm.toml`` or ``[tool.fastswarm]`` in
pyproject.toml), then ``FASTSWARM_*`` variables, then the command line; click applies
that order and ``cli.py`` turns the result into a Config. Errors name the setting.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastswarm.config.base_url import base_url_problem
from fastswarm.config.open_spec import Arrival, OpenSpec
from fastswarm.exception import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
# --web-allow-host: *, a name or .domain, an IPv4 address, or an IPv6 one (bracketed or not); no port
_ALLOW_HOST = re.compile(r"\*|\.?[^\s/:@?#\[\]]+|\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]+:[0-9a-fA-F:.]*")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?")
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Bytes of one response body a client keeps unless ``--max-body-size`` says otherwise."""


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
    if len(values) not in (1, 2) or not all(0 < v < math.inf for v in values):
        raise ConfigError(f"{setting}: {text!r} must be R or R1:R2 with each rate > 0")
    return (values[0], values[-1])


def parse_size(text: str | int, setting: str = "--max-body-size") -> int:
    """Bytes in ``text``: ``1048576``, ``512KB``, ``32MB``, ``1GiB`` (K/M/G are powers of 1024)."""
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = _SIZE.fullmatch(str(text).strip().lower())
        if match is None:
            raise ConfigError(f"{setting}: {text!r} is not a size (examples: 1048576, 512KB, 32MB)")
        scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
        size = int(float(match.group(1)) * scale)
    if size < 1:
        raise ConfigError(f"{setting}: must be at least 1 byte")
    return size


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


def is_loopback_host(host: str) -> bool:
    """True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost, ``lo``.

    A name is not resolved (building a Config does no I/O): any other name, ``*`` and an
    interface name count as reachable from outside.
    """
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "lo") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
    master_bind_host: str = "127.0.0.1"
    expect_workers: int = 1
    expect_workers_timeout: float = 30.0
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 10.0
    allow_mismatch: bool = False  # take workers whose tasks file or fastswarm version differs
    max_message_size: int = 64 * 1024 * 1024  # ZMQ_MAXMSGSIZE of the protocol sockets (bytes)
    master_timeout: float = 10.0  # a worker with no master this long stops and exits
    curve_dir: str | None = None  # CURVE keys for tcp:// (fastswarm keygen)
    insecure: bool = False  # allow a non-loopback --master-bind-host without keys
    # status endpoint and reports
    web_host: str = "127.0.0.1"
    web_port: int = 8089
    no_web: bool = False
    autostart: bool = False
    autoquit: float | None = None
    web_auth_token: str | None = None
    web_login: bool = False  # a login form for the token (web/login.py)
    web_allow_hosts: tuple[str, ...] = ()
    web_log_lines: int = 500  # the master's last log lines kept for GET /logs and the UI
    html_path: str | None = None
    hdr_log_path: str | None = None
    max_names: int = 2000  # distinct (method, name) rows; later names share an "(other)" row
    # open model and pass/fail checks
    rate: tuple[float, float] | None = None
    arrival: Arrival = Arrival.UNIFORM
    ramp: float | None = None
    max_users: int = 1000
    checks: tuple[str, ...] = ()
    check_abort: bool = False
    # --find-capacity
    find_capacity: bool = False
    slos: tuple[str, ...] = ()
    capacity_rates: tuple[float, float] = (10.0, 100000.0)
    capacity_step_time: float = 10.0
    capacity_bisect: int = 3
    # --otel: push metrics over OTLP/HTTP (None: the OTEL_EXPORTER_OTLP_* variables' endpoint)
    otel: bool = False
    otel_endpoint: str | None = None
    # response bodies and start-up guards
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    force: bool = False
    extra_options: dict[str, Any] = field(default_factory=dict)
    secret_options: tuple[str, ...] = ()  # extra_options marked is_secret: kept out of reports
    # config-file settings no built-in option takes: the tasks file's options, or a mistake
    file_options: dict[str, Any] = field(default_factory=dict)
    config_file: str | None = None  # the name of the file they came from, for errors

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
        if self.max_message_size < 65536:
            raise ConfigError("--max-message-size: must be at least 65536 (bytes)")
        self._check_heartbeats()
        if self.master and not (self.curve_dir or self.insecure or is_loopback_host(self.master_bind_host)):
            raise ConfigError(
                f"--master-bind-host: {self.master_bind_host!r} is reachable from other hosts, and without "
                "keys anyone who reaches it can join; make keys (fastswarm keygen DIR) and pass "
                "--curve-dir DIR, or pass --insecure"
            )
        if not 0 <= self.web_port <= 65535:
            raise ConfigError("--web-port: must be between 0 and 65535")
        if self.web_login and not self.web_auth_token:
            raise ConfigError("--web-login: needs --web-auth-token (the login form asks for that token)")
        if not 0 <= self.web_log_lines <= 100_000:
            raise ConfigError("--web-log-lines: must be between 0 and 100000")
        if self.max_users < 1:
            raise ConfigError("--max-users: must be at least 1")
        if self.max_body_size < 1:
            raise ConfigError("--max-body-size: must be at least 1 byte")
        if self.max_names < 1:
            raise ConfigError("--max-names: must be at least 1")
        if self.ramp is not None and self.rate is None:
            raise ConfigError("--ramp: needs --rate R1:R2")
        try:
            object.__setattr__(self, "arrival", Arrival(self.arrival))  # the command line gives a str
        except ValueError:
            raise ConfigError(f"--arrival: must be {' or '.join(a.value for a in Arrival)}") from None
        for name in self.web_allow_hosts:
            if not _ALLOW_HOST.fullmatch(name):
                raise ConfigError(
                    f"--web-allow-host: {name!r} is not a host name (examples: ui.example.com, "
                    ".example.com, 10.0.0.5, *)"
                )
        for flag, url in (("--host", self.host), ("--otel-endpoint", self.otel_endpoint)):
            if url is not None and (problem := base_url_problem(url, repr(url))):
                raise ConfigError(f"{flag}: {problem}")
        if self.checks or self.slos:  # a typo in a threshold is exit 2 before any load is sent
            from fastswarm.config.check_expr import parse_checks

            parse_checks(self.checks)
            parse_checks(self.slos)
        self._check_capacity()

    def open_spec(self) -> OpenSpec:
        """The open model's plan from --rate R[:R2] (over --ramp), --arrival, --max-users, --run-time."""
        if self.rate is None:
            raise ConfigError("--rate: not given")
        start, end = self.rate
        return OpenSpec(start, end, self.ramp or 0.0, self.arrival, self.max_users, self.run_time)

    def flat_open_spec(self, rate: float) -> OpenSpec:
        """``rate`` iterations/s with --arrival and --max-users until stopped: a rate a load shape,
        a capacity search or the UI sets."""
        return OpenSpec(rate, arrival=self.arrival, max_users=self.max_users)

    def _check_heartbeats(self) -> None:
        if not 0.01 <= self.heartbeat_interval <= 3600:
            raise ConfigError("--heartbeat-interval: must be between 10ms and 1h")
        if self.heartbeat_timeout <= self.heartbeat_interval:
            beat = self.heartbeat_interval
            raise ConfigError(f"--heartbeat-timeout: must be longer than --heartbeat-interval ({beat:g} s)")
        if self.heartbeat_timeout > 86400:
            raise ConfigError("--heartbeat-timeout: must be at most 24h")
        if not 0 < self.master_timeout <= 86400:
            raise ConfigError("--master-timeout: must be greater than 0 and at most 24h")

    def _check_capacity(self) -> None:
        if not self.find_capacity:
            if self.slos:
                raise ConfigError("--slo: only used with --find-capacity")
            return
        if not self.slos:
            raise ConfigError("--find-capacity: needs at least one --slo, e.g. --slo 'p99<200ms'")
        if self.rate is not None:
            raise ConfigError("--find-capacity: chooses the rates itself; drop --rate")
        start, top = self.capacity_rates
        if top < start:
            raise ConfigError(f"--capacity-rates: MAX {top:g} is below START {start:g}")
        if self.capacity_step_time < 2 * self.report_interval:
            raise ConfigError("--capacity-step-time: must be at least two report intervals")
        if self.capacity_bisect < 0:
            raise ConfigError("--capacity-bisect: must be 0 or more")
