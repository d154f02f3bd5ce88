"""The master session's commands and views: what the status endpoint (and run.py) call.

``MasterSession`` (run.py) mixes this in. It owns the test's life inside one master
process: start (or re-target) a test, stop it, reset the stats, and read a snapshot; the
run-time timer, --autoquit, the status endpoint's server and the HdrHistogram log.
A command never reaches into the runner from the web app; the app calls these.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import gevent
from gevent.lock import RLock

from fastswarm.exception import ConfigError
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.master.checks import CheckResult, evaluate
from fastswarm.master.otel import OtelPusher, load_otel, resolve_endpoint
from fastswarm.master.report_settings import check_outcomes, run_settings
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.hdr_log import HdrLogWriter
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.html_report import build_html_report, write_html_report
from fastswarm.stats.model import IntervalStats
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras
from fastswarm.web.control import ControlError
from fastswarm.web.snapshot import build_snapshot

if TYPE_CHECKING:
    from gevent.event import Event

    from fastswarm.config.check_expr import Check
    from fastswarm.config.settings import Config
    from fastswarm.master.loader import TasksFile
    from fastswarm.master.shape_driver import ShapeDriver
    from fastswarm.user.env import Environment
    from fastswarm.web.log_ring import LogRing
    from fastswarm.web.server import WebServer

log = logging.getLogger(__name__)


class TestControl:
    """Mixin for MasterSession: needs ``config``, ``tasks``, ``runner``, ``done``, ``started_at``,
    ``checks`` and ``shape``."""

    config: Config
    tasks: TasksFile
    runner: MasterRunner | None
    done: Event
    started_at: float
    checks: Sequence[Check]
    shape: ShapeDriver | None

    def init_control(self) -> None:
        self._lock = RLock()
        self._timer: gevent.Greenlet | None = None
        self._autoquit: gevent.Greenlet | None = None
        self._console: gevent.Greenlet | None = None
        self._deadline: float | None = None
        self.target_rate: float | None = None
        self.web: WebServer | None = None
        self.log_ring: LogRing | None = None
        self.hdr_log: HdrLogWriter | None = None
        self.otel: OtelPusher | None = None

    # -- the commands --
    @property
    def aggregator(self) -> Aggregator:
        return self._runner().aggregator

    def supports_rate(self) -> bool:
        return hasattr(self.runner, "set_rate")

    def start_test(
        self,
        users: int,
        spawn_rate: float,
        host: str | None = None,
        run_time: float | None = None,
        rate: float | None = None,
    ) -> None:
        """Start the test, or re-target a running one; ``run_time`` (s) stops it later."""
        runner = self._runner()
        with self._lock:
            if self.done.is_set():
                raise ControlError("the master is shutting down")
            running = runner.state.value in ("spawning", "running")
            if rate is not None:
                set_rate = getattr(runner, "set_rate", None)
                if set_rate is None:
                    raise ControlError("rate: the open model is not available", "rate")
                runner.environment.use_host(host)
                set_rate(rate)
            else:
                runner.start(users, spawn_rate, host)
            what = f"{rate:g} iterations/s" if rate is not None else f"{users} users at {spawn_rate:g}/s"
            until = f" for {run_time:g} s" if run_time else ""
            verb = "changed to" if running else "started:"
            log.info("test %s %s%s against %s", verb, what, until, runner.environment.host or "(no host)")
            self.target_rate = rate
            if not self.started_at:
                self.started_at = time.time()
            self._cancel(self._autoquit)
            self._cancel(self._timer)
            self._timer, self._deadline = None, None
            if run_time:
                self._deadline = time.monotonic() + run_time
                self._timer = gevent.spawn_later(run_time, self._time_up)
            # --headless: run.py's _run_test prints the console table itself.
            if not self.config.headless and (self._console is None or self._console.dead):
                self._console = gevent.spawn(self._console_loop, runner)  # type: ignore[attr-defined]

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
            live = runner.state.value in ("spawning", "running")
            ended = None if live or not agg.duration_s else agg.started_at + agg.duration_s
        else:
            ended = time.time()
        shape = None if self.shape is None else type(self.shape.shape).__name__
        classes = [cls.__name__ for cls in runner.environment.user_classes]
        return ReportExtras(
            settings=run_settings(self.config, str(self.tasks.path), classes, shape),
            checks=check_outcomes(evaluate(self.checks, agg) if results is None else results),
            checks_final=results is not None or ended is not None,
            ended_at=ended,
        )

    # -- the session's life --
    def wait_for_end(self) -> None:
        """Start at once (--headless / --autostart) or wait for the web UI; return when done."""
        config = self.config
        if config.no_web and not (config.headless or config.autostart):
            raise ConfigError("--no-web: needs --headless or --autostart (nothing could start the test)")
        if config.headless or config.autostart:
            rate = config.rate[0] if config.rate is not None and self.supports_rate() else None
            self.start_test(config.users, config.spawn_rate, config.host, config.run_time, rate)
        self.done.wait()
        self._cancel(self._timer)
        self._cancel(self._autoquit)
        self._cancel(self._console)

    def start_web(self) -> None:
        """Serve the status endpoint unless --no-web (or a --headless run with no port)."""
        config = self.config
        if config.no_web:
            return
        from fastswarm.web.app import StatusApp
        from fastswarm.web.extend import WebUI
        from fastswarm.web.guard import HostGuard
        from fastswarm.web.log_ring import LogRing
        from fastswarm.web.server import WebServer

        guard = HostGuard(config.web_host, config.web_allow_hosts)
        # Attached here, after the fork: only the master's own records land in it.
        self.log_ring = LogRing(config.web_log_lines)
        self.log_ring.attach()
        app = StatusApp(
            self,  # type: ignore[arg-type]
            config.web_auth_token,
            config.users,
            config.spawn_rate,
            guard=guard,
            log_ring=self.log_ring,
            web_login=config.web_login,
        )
        web = WebServer(app, config.web_host, config.web_port, config.web_auth_token)
        try:
            web.start()
        except ConfigError as exc:
            if not config.headless:
                raise  # the UI is the only way to drive this run
            # A headless run does not need the endpoint: a busy port (another run) must not end it.
            print(f"fastswarm: warning: status endpoint not served: {exc}", file=sys.stderr, flush=True)
            return
        self.web = web
        self._runner().environment.web_ui = WebUI(app.extensions, web)

    def fire_init(self, env: Environment) -> None:
        """The init event; a web_ui misuse in a listener (a clashing route...) then ends the run."""
        env.events.init.fire(environment=env)
        web_ui = env.web_ui
        if web_ui is not None and web_ui.errors:
            raise web_ui.errors[0]

    def open_hdr_log(self, aggregator: Aggregator) -> None:
        """Start the --hdr-log file now, so a bad path fails before the test, not after it."""
        path = self.config.hdr_log_path
        if not path:
            return
        writer = HdrLogWriter(path)
        try:
            writer.open(time.time())
        except OSError as exc:
            raise ConfigError(f"--hdr-log: cannot write {path}: {exc.strerror}") from None
        self.hdr_log = writer

        def log_interval(worker_id: str, interval: IntervalStats) -> None:
            merged = LatencyHistogram()
            for entry in interval.entries:
                merged.merge(LatencyHistogram.from_bytes(entry.histogram))
            writer.write_interval(interval.started_at, interval.ended_at, merged)

        aggregator.interval_listeners.append(log_interval)

    def prepare_otel(self) -> None:
        """--otel: check the endpoint and the packages now (one ConfigError line, exit 2), before
        any worker is forked; nothing is sent until ``start_otel``."""
        if self.config.otel:
            endpoint = resolve_endpoint(self.config.otel_endpoint, os.environ)
            self.otel = OtelPusher(endpoint, self.config.report_interval, self.gauges, load_otel())

    def start_otel(self, aggregator: Aggregator) -> None:
        """Push the aggregator's merged totals every report interval (master/otel.py)."""
        if self.otel is not None:
            self.otel.start(aggregator)

    def finish_otel(self) -> None:
        """The last push, with every worker's last interval merged (the report's counts)."""
        if self.otel is not None:
            self.otel.finish()

    def write_html(self, aggregator: Aggregator, run: RunInfo, results: list[CheckResult]) -> None:
        if self.config.html_path:
            html = build_html_report(aggregator, run, self.report_extras(results))
            write_html_report(self.config.html_path, html)

    def close_control(self) -> None:
        """Stop serving and close the files (the master is exiting)."""
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.log_ring is not None:
            self.log_ring.detach()
        if self.hdr_log is not None:
            self.hdr_log.close()
        if self.otel is not None:
            self.otel.close()

    # -- internals --
    def _runner(self) -> MasterRunner:
        if self.runner is None:
            raise ControlError("the master is not coordinating yet")
        return self.runner

    def _target_rate(self, runner: MasterRunner) -> float | None:
        """The open model's current total rate (the runner knows it, ramps included)."""
        rate = getattr(runner, "target_rate", None)
        return float(rate) if isinstance(rate, (int, float)) else self.target_rate

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
