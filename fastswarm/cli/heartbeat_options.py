"""The options of a worker's link to its master: heartbeats and how long to wait for it.

Beside the command in their own module, as ``capacity_options.py``. Remote workers take
the master's heartbeat interval and timeout from its Welcome, so those two are set on the
master (or on a local run); ``--master-timeout`` is a worker's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from fastswarm.config.settings import parse_duration

F = Callable[..., Any]
_OPTIONS = (
    click.option(
        "--heartbeat-interval",
        default="1",
        show_default=True,
        help="How often the master and its workers beat (remote workers take the master's).",
    ),
    click.option(
        "--heartbeat-timeout",
        default="10",
        show_default=True,
        help="A worker silent this long is lost; its users (or rate) go to the others.",
    ),
    click.option(
        "--master-timeout",
        default="10",
        show_default=True,
        help="With --worker: stop and exit after this long without the master (reconnecting meanwhile).",
    ),
)


def heartbeat_options(command: F) -> F:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def heartbeat_settings(params: dict[str, Any], sourced: Callable[[str, Any, Any], Any]) -> dict[str, Any]:
    """The Config fields of the options above, each bad value naming its source."""
    return {
        name: sourced(name, parse_duration, params[name])
        for name in ("heartbeat_interval", "heartbeat_timeout", "master_timeout")
    }
