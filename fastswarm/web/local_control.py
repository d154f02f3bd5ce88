"""The status endpoint's commands and views over library use's ``LocalRunner``.

``environment.create_web_ui()`` (``local_ui.py``) serves the same ``StatusApp`` the master
serves, over this ``SessionControl`` instead of the master's ``TestControl``: POST /swarm
starts or re-targets the local runner's users, /stop stops them, /reset resets the stats, and
GET /stats has the master's layout. Its ``workers`` list holds one entry, this process, since
it is the one that generates the load (its CPU and event-loop lag are what a reader of the
workers panel needs). The local runner runs the closed model only: a ``rate`` is a 400.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

import gevent
from gevent.lock import RLock

from fastswarm.engine.local_runner import LocalRunner
from fastswarm.engine.loop_lag import LoopLagMeter
from fastswarm.engine.process_meter import CpuMeter
from fastswarm.engine.state import idle, under_way
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras
from fastswarm.web.control import ControlError
from fastswarm.web.snapshot import snapshot_document

log = logging.getLogger(__name__)

NO_RATE = "rate: the local runner runs users (the closed model); the open model needs: fastswarm --rate"


class LocalControl:
    """``SessionControl`` for one ``LocalRunner``; ``watch`` meters the loop while serving."""

    def __init__(self, runner: LocalRunner, default_users: int = 1, default_spawn_rate: float = 1.0) -> None:
        self.runner = runner
        self.default_users = default_users
        self.default_spawn_rate = default_spawn_rate
        self._lock = RLock()
        self._timer: gevent.Greenlet | None = None
        self._deadline: float | None = None
        self._cpu = CpuMeter()
        self._lag = LoopLagMeter()
        self._lag_greenlet: gevent.Greenlet | None = None

    def watch(self, serving: gevent.Greenlet) -> None:
        """Meter the event loop's lag for the pseudo-worker until ``serving`` ends."""
        meter = gevent.spawn(self._lag.run)
        serving.link(lambda _: meter.kill(block=False))
        self._lag_greenlet = meter

    # -- commands --
    @property
    def aggregator(self) -> Aggregator:
        return self.runner.aggregator

    def start_test(
        self,
        users: int,
        spawn_rate: float,
        host: str | None = None,
        run_time: float | None = None,
        rate: float | None = None,
    ) -> None:
        if rate is not None:
            raise ControlError(NO_RATE, "rate")
        runner = self.runner
        with self._lock:
            running = under_way(runner.state)
            runner.environment.use_host(host)
            try:
                runner.start(users, spawn_rate)
            except RuntimeError as exc:  # the script called quit(): this runner is done
                raise ControlError(str(exc)) from None
            log.info(
                "test %s %d users at %g/s against %s",
                "changed to" if running else "started:",
                users,
                spawn_rate,
                runner.environment.host or "(no host)",
            )
            self._cancel_timer()
            if run_time:
                self._deadline = time.monotonic() + run_time
                self._timer = gevent.spawn_later(run_time, self._time_up)

    def stop_test(self) -> None:
        with self._lock:
            self._cancel_timer()
            self.runner.stop()

    def reset_stats(self) -> None:
        self.runner.reset_stats()

    # -- views --
    def snapshot(self) -> dict[str, Any]:
        runner = self.runner
        if not idle(runner.state):
            runner.flush()  # up to this request: the same numbers env.stats reads
        left = None if self._deadline is None else max(0.0, self._deadline - time.monotonic())
        return snapshot_document(
            state=runner.state.value,
            users=runner.user_count,
            target_users=runner.target_user_count,
            spawn_rate=runner.spawn_rate,
            target_rate=None,
            host=runner.environment.host,
            run_time_left_s=left,
            defaults={
                "users": self.default_users,
                "spawn_rate": self.default_spawn_rate,
                "host": runner.environment.host,
            },
            aggregator=runner.aggregator,
            workers=[self._this_process()],
            refused_workers=[],
            protocol_errors=0,
        )

    def gauges(self) -> RunGauges:
        runner = self.runner
        return RunGauges(
            state=runner.state.value,
            users=runner.user_count,
            target_users=runner.target_user_count,
            workers=1,
        )

    def run_info(self) -> RunInfo:
        runner = self.runner
        agg = runner.aggregator
        return RunInfo(
            started_at=agg.started_at or time.time(),
            duration_s=agg.duration_s,
            host=runner.environment.host or "",
            users=runner.target_user_count,
            processes=1,
        )

    def report_extras(self) -> ReportExtras:
        runner = self.runner
        agg = runner.aggregator
        live = under_way(runner.state)
        classes = ", ".join(cls.__name__ for cls in runner.environment.user_classes) or "(none)"
        return ReportExtras(
            settings=(("Mode", "library: Environment.create_local_runner()"), ("User classes", classes)),
            ended_at=None if live or not agg.duration_s else agg.started_at + agg.duration_s,
        )

    # -- internals --
    def _this_process(self) -> dict[str, Any]:
        runner = self.runner
        return {
            "id": "local",
            "index": 0,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "state": runner.state.value,
            "users": runner.user_count,
            "cpu_percent": round(self._cpu.read(), 1),
            "loop_lag_ms": round(self._lag.take_max_ms(), 1),
            "heartbeat_age_s": 0.0,  # in this process: always current
            "alive": True,
            "lost_reason": None,
            "protocol_errors": 0,
            "reconnects": 0,
            "rejoins": 0,
        }

    def _time_up(self) -> None:
        self._timer = None  # this greenlet must not kill itself in stop_test
        self.stop_test()

    def _cancel_timer(self) -> None:
        timer, self._timer, self._deadline = self._timer, None, None
        if timer is not None and timer is not gevent.getcurrent():
            timer.kill(block=False)
