"""What is checked before a run forks anything: a host, a sane process count, writable reports.

Each mistake here used to surface late and loud: a forgotten ``-H`` as a traceback from every
worker and a run of zero requests that exited 0; ``--processes 999`` on two cores as a
thousand workers fighting for the CPU; a report path in a missing folder as a traceback after
the whole run, the report lost. Now each is one line before the first fork: a
``ConfigError`` (exit 2), or a warning when the run can still go on.
"""

from __future__ import annotations

import os
import sys

from fastswarm.config.settings import Config, usable_cores
from fastswarm.exception import ConfigError
from fastswarm.http.methods import classes_without_host
from fastswarm.master.loader import TasksFile

MAX_PROCESSES_PER_CORE = 4
"""More worker processes per usable core than this are refused without ``--force``."""


def check_before_start(config: Config, tasks: TasksFile, cores: int | None = None) -> None:
    """Raise ``ConfigError`` for a run that cannot work; warn (stderr) about one that works badly."""
    _check_host(config, tasks)
    _check_report_paths(config)
    if not config.master:  # a --master forks no worker; --worker and local runs do
        _check_processes(config, usable_cores() if cores is None else cores)


def _check_host(config: Config, tasks: TasksFile) -> None:
    """A run that starts by itself needs a host for every HTTP user class (the web UI can give one)."""
    if config.worker or not (config.headless or config.autostart):
        return
    missing = classes_without_host(tasks.user_classes, config.host)
    if missing:
        raise ConfigError(
            f"no host to send requests to: pass -H/--host (e.g. -H http://127.0.0.1:8080) or set "
            f"`host` on {', '.join(missing)}"
        )


def _check_report_paths(config: Config) -> None:
    """--json, --csv and --html are written after the run: a path that cannot be written is
    refused now, before the run's time is spent."""
    csv = f"{config.csv_prefix}_stats.csv" if config.csv_prefix else None
    for flag, path in (("--json", config.json_path), ("--csv", csv), ("--html", config.html_path)):
        if not path or config.worker:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise ConfigError(f"{flag}: {path} is a folder; give a file name")
        if not os.path.isdir(folder):
            raise ConfigError(f"{flag}: cannot write {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"{flag}: cannot write {path}: the folder {folder} is not writable")


def _check_processes(config: Config, cores: int) -> None:
    count = config.processes
    if count > MAX_PROCESSES_PER_CORE * cores and not config.force:
        raise ConfigError(
            f"--processes: {count} is more than {MAX_PROCESSES_PER_CORE} per usable core ({cores} "
            f"{'core' if cores == 1 else 'cores'}); the workers would only fight over the CPU. "
            "Use --processes auto (one per core), or add --force to start them anyway"
        )
    if count > cores:
        print(
            f"fastswarm: warning: --processes {count} is more than the {cores} usable "
            f"{'core' if cores == 1 else 'cores'}: workers will compete for the CPU and the generator "
            "may limit the results (--processes auto starts one per core)",
            file=sys.stderr,
            flush=True,
        )
