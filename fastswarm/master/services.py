"""What the master serves and writes beside the test: the status endpoint, --hdr-log, --otel, reports.

``MasterSession`` (run.py) owns one ``SessionServices``. Each service is checked before it
is needed, so a bad path or a missing package ends the run before any load is sent, and
``close`` undoes whatever was started.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastswarm.exception import ConfigError
from fastswarm.master.otel import OtelPusher, load_otel, resolve_endpoint
from fastswarm.stats import report
from fastswarm.stats.hdr_log import HdrLogWriter
from fastswarm.stats.html_report import build_html_report, write_html_report
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras

if TYPE_CHECKING:
    from fastswarm.config.settings import Config
    from fastswarm.stats.aggregator import Aggregator
    from fastswarm.user.env import Environment
    from fastswarm.web.control import SessionControl
    from fastswarm.web.extend import WebUI
    from fastswarm.web.log_ring import LogRing
    from fastswarm.web.server import WebServer


class SessionServices:
    """The status endpoint, the HdrHistogram log, the OTLP push and the end-of-run reports of one master."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.web: WebServer | None = None
        self.web_ui: WebUI | None = None  # environment.web_ui: the tasks file's routes and tabs
        self.log_ring: LogRing | None = None
        self.hdr_log: HdrLogWriter | None = None
        self.otel: OtelPusher | None = None

    def start_web(self, control: SessionControl) -> None:
        """Serve the status endpoint over ``control`` unless --no-web.

        A --headless run goes on without it when the port is taken (another run may hold it).
        """
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
            control,
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
            print(f"fastswarm: warning: status endpoint not served: {exc}", file=sys.stderr, flush=True)
            return
        self.web = web
        self.web_ui = WebUI(app.extensions, web)

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

        aggregator.counts_listeners.append(writer.on_interval)

    def prepare_otel(self, gauges: Callable[[], RunGauges]) -> None:
        """--otel: check the endpoint and the packages now (one ConfigError line, exit 2), before
        any worker is forked; nothing is sent until ``start_otel``."""
        if self.config.otel:
            endpoint = resolve_endpoint(self.config.otel_endpoint, os.environ)
            self.otel = OtelPusher(endpoint, self.config.report_interval, gauges, load_otel())

    def start_otel(self, aggregator: Aggregator) -> None:
        """Push the aggregator's merged totals every report interval (master/otel.py)."""
        if self.otel is not None:
            self.otel.start(aggregator)

    def finish_otel(self) -> None:
        """The last push, with every worker's last interval merged (the report's counts)."""
        if self.otel is not None:
            self.otel.finish()

    def write_reports(
        self,
        aggregator: Aggregator,
        run: RunInfo,
        extra: dict[str, object],
        extras: Callable[[], ReportExtras] = ReportExtras,
    ) -> None:
        """The end-of-run files asked for: --json (with ``extra`` keys), --csv, --html (with the
        settings and checks ``extras`` gives)."""
        config = self.config
        if config.json_path:
            report.write_json_report(config.json_path, report.build_json_report(aggregator, run, extra))
        if config.csv_prefix:
            report.write_csv(config.csv_prefix, aggregator)
        if config.html_path:
            write_html_report(config.html_path, build_html_report(aggregator, run, extras()))

    def close(self) -> None:
        """Stop serving and close the files (the master is exiting)."""
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.log_ring is not None:
            self.log_ring.detach()
            self.log_ring = None
        if self.hdr_log is not None:
            self.hdr_log.close()
            self.hdr_log = None
        if self.otel is not None:
            self.otel.close()


def fire_init(env: Environment) -> None:
    """The init event; a web_ui misuse in a listener (a clashing route...) then ends the run."""
    env.events.init.fire(environment=env)
    web_ui = env.web_ui
    if web_ui is not None and web_ui.errors:
        raise web_ui.errors[0]
