"""The master's test commands and views: what the status endpoint (and run.py) call.

``TestControl`` is owned by ``MasterSession`` (run.py) and implements the web app's
``SessionControl`` protocol: start (or re-target) a test, stop it, reset the stats, read a
snapshot; it also times ``--run-time`` and ``--autoquit`` and prints the live table in web
mode. It knows the runner only once ``attach`` is called (the runner is made after the fork);
until then every command is a ``ControlError``. A command never reaches into the runner from
the web app; the app calls these.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import gevent
from gevent.lock import RLock

from fastswarm.engine.state import under_way
from fastswarm.exception import ConfigError
from fastswarm.master.checks import CheckResult, evaluate
from fastswarm.master.report_settings import check_outcomes, run_settings
from fastswarm.stats import report
from fastswarm.stats.open_console import format_open_live
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras
from fastswarm.web.control import ControlError
from fastswarm.web.snapshot import build_snapshot

if TYPE_CHECKING:
    from gevent.event import Event

    from fastswarm.config.check_expr import Check
    from fastswarm.config.settings import Config
    from fastswarm.ipc.coordinator import MasterRunner
    from fastswarm.stats.aggregator import Aggregator

log = logging.getLogger(__name__)


def print_live_tables(runner: MasterRunner, interval: float) -> None:
    """Print the live table (and the open model's line) every ``interval`` s, until killed."""
    while True:
        gevent.sleep(interval)
        agg = runner.aggregator
        text = report.format_live_table(
            agg.endpoint_rows(), agg.totals_row(), runner.user_count, runner.worker_count, agg.duration_s
        )
        open_text = format_open_live(agg)
        print(f"{text}\n{open_text}" if open_text else text, flush=True)


class TestControl:
    """Starts, re-targets and stops the master's tests; ``done`` is set when the session should end."""

    __test__ = False  # not a pytest class, despite its name

    def __init__(
        self, config: Config, done: Event, tasks_path: str = "", checks: Sequence[Check] = ()
    ) -> None:
        self.config = config
        self.done = done
        self.tasks_path = tasks_path  # for the HTML report's settings
        self.checks = checks
        self.shape_name: str | None = None  # the tasks file's LoadTestShape, once one drives the test
        self.runner: MasterRunner | None = None
        self.started_at = 0.0  # time.time() of the first test's start; 0 while none started
        self.target_rate: float | None = None  # the rate a command asked for (None: closed model)
        self._lock = RLock()
        self._timer: gevent.Greenlet | None = None
        self._autoquit: gevent.Greenlet | None = None
        self._console: gevent.Greenlet | None = None
        self._deadline: float | None = None

    def attach(self, runner: MasterRunner) -> None:
        """The runner the commands drive, once it exists."""
        self.runner = runner

    def mark_started(self) -> None:
        """Note when the first test began (the report's start time)."""
        if not self.started_at:
            self.started_at = time.time()

    # -- the commands --
    @property
    def aggregator(self) -> Aggregator:
        return self._runner().aggregator

    def start_test(
        self,
        users: int,
        spawn_rate: float,
        host: str | None = None,
        run_time: float | None = None,
        rate: float | None = None,
    ) -> None:
        """Start the test, or re-target a running one; ``run_time`` (s) stops it later.

        ``rate`` sets the open model's total rate instead of users (``MasterRunner.set_rate``).
        """
        runner = self._runner()
        with self._lock:
            if self.done.is_set():
                raise ControlError("the master is shutting down")
            running = under_way(runner.state)
            if rate is not None:
                runner.environment.use_host(host)
                runner.set_rate(rate)
            else:
                runner.start(users, spawn_rate, host)
            what = f"{rate:g} iterations/s" if rate is not None else f"{users} users at {spawn_rate:g}/s"
            until = f" for {run_time:g} s" if run_time else ""
            verb = "changed to" if running else "started:"
            log.info("test %s %s%s against %s", verb, what, until, runner.environment.host or "(no host)")
            self.target_rate = rate
            self.mark_started()
            self._cancel(self._autoquit)
            self._cancel(self._timer)
            self._timer, self._deadline = None, None
            if run_time:
                self._deadline = time.monotonic() + run_time
                self._timer = gevent.spawn_later(run_time, self._time_up)
            # --headless: run.py's _run_test prints the console table itself.
            if not self.config.headless and (self._console is None or self._console.dead):
                self._console = gevent.spawn(print_live_tables, runner, self.config.console_interval)

    def stop_test(self) -> None:
        """Stop every user; the master keeps serving (a --headless run then ends)."""
        runner = self._runner()
        with self._lock:
            self._cancel(self._timer)
            self._timer, self._deadline = None, None
            self._cancel(self._console)
            log.info("stopping the test")
            runner.stop()
            if self.config.headless:
                self.done.set()
            elif self.config.autostart and self.config.autoquit is not None:
                self._autoquit = gevent.spawn_later(self.config.autoquit, self._quit_now)

    def reset_stats(self) -> None:
        self._runner().reset_stats()
        log.info("statistics reset")

    def snapshot(self) -> dict[str, Any]:
        runner = self._runner()
        left = None if self._deadline is None else max(0.0, self._deadline - time.monotonic())
        defaults = {
            "users": self.config.users,
            "spawn_rate": self.config.spawn_rate,
            "host": self.config.host,
        }
        return build_snapshot(runner, self._target_rate(runner), left, defaults)

    def gauges(self) -> RunGauges:
        runner = self._runner()
        return RunGauges(
            state=runner.state.value,
            users=runner.user_count,
            target_users=runner.target_users,
            workers=runner.worker_count,
            target_rate=self._target_rate(runner),
        )

    def run_info(self) -> RunInfo:
        runner = self._runner()
        return RunInfo(
            started_at=self.started_at or time.time(),
            duration_s=runner.aggregator.duration_s,
            host=runner.environment.host or "",
            users=runner.target_users,
            processes=len(runner.workers),
        )

    def report_extras(self, results: list[CheckResult] | None = None) -> ReportExtras:
        """The HTML report's settings and checks: ``results`` are the run's final verdicts;
        without them (GET /report.html) the checks are judged on the numbers so far."""
        runner = self._runner()
        agg = runner.aggregator
        if results is None:
            live = under_way(runner.state)
            ended = None if live or not agg.duration_s else agg.started_at + agg.duration_s
        else:
            ended = time.time()
        classes = [cls.__name__ for cls in runner.environment.user_classes]
        return ReportExtras(
            settings=run_settings(self.config, self.tasks_path, classes, self.shape_name),
            checks=check_outcomes(evaluate(self.checks, agg) if results is None else results),
            checks_final=results is not None or ended is not None,
            ended_at=ended,
        )

    # -- web mode's life --
    def wait_for_end(self) -> None:
        """Start at once (--autostart) or wait for the web UI; return when done."""
        config = self.config
        if config.no_web and not (config.headless or config.autostart):
            raise ConfigError("--no-web: needs --headless or --autostart (nothing could start the test)")
        if config.headless or config.autostart:
            rate = config.rate[0] if config.rate is not None else None
            self.start_test(config.users, config.spawn_rate, config.host, config.run_time, rate)
        self.done.wait()
        self._cancel(self._timer)
        self._cancel(self._autoquit)
        self._cancel(self._console)

    # -- internals --
    def _runner(self) -> MasterRunner:
        if self.runner is None:
            raise ControlError("the master is not coordinating yet")
        return self.runner

    def _target_rate(self, runner: MasterRunner) -> float | None:
        """The open model's current total rate (the runner knows it, ramps included)."""
        rate = runner.target_rate
        return self.target_rate if rate is None else rate

    def _time_up(self) -> None:
        self._timer = None  # this greenlet must not kill itself in stop_test
        if self.config.headless:
            self.done.set()
        else:
            self.stop_test()

    def _quit_now(self) -> None:
        print("fastswarm: --autoquit: quitting", file=sys.stderr, flush=True)
        self._autoquit = None
        self.done.set()

    @staticmethod
    def _cancel(greenlet: gevent.Greenlet | None) -> None:
        if greenlet is not None and greenlet is not gevent.getcurrent():
            greenlet.kill(block=False)
