"""What the web app needs from the master session: commands and read-only views.

The app depends on this protocol, never on the session's internals, so routes can be
tested against any object that implements it and the session can change freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fastswarm.exception import FastswarmError
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras


class ControlError(FastswarmError):
    """A command the session refuses in its current state (HTTP 409 / 400 at the endpoint)."""

    exit_code = 1

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class SwarmRequest:
    """A checked POST /swarm body."""

    users: int
    spawn_rate: float
    host: str | None = None
    run_time: float | None = None
    rate: float | None = None


class SessionControl(Protocol):
    """Implemented by ``master/session_control.TestControl``."""

    @property
    def aggregator(self) -> Aggregator: ...

    def start_test(
        self,
        users: int,
        spawn_rate: float,
        host: str | None = None,
        run_time: float | None = None,
        rate: float | None = None,
    ) -> None: ...

    def stop_test(self) -> None: ...

    def reset_stats(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def gauges(self) -> RunGauges: ...

    def run_info(self) -> RunInfo: ...

    def report_extras(self) -> ReportExtras: ...
