"""What is checked before a run forks anything: that there is a host to send requests to.

A forgotten ``-H`` used to surface late and loud: a traceback from every worker and a run of
zero requests that exited 0. Now it is one line before the first fork: a ``ConfigError``
(exit 2).
"""

from __future__ import annotations

from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.http.methods import classes_without_host
from fastswarm.master.loader import TasksFile


def check_before_start(config: Config, tasks: TasksFile) -> None:
    """Raise ``ConfigError`` for a run that cannot work."""
    _check_host(config, tasks)


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
