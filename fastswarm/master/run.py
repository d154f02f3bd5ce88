"""A whole run: fork the workers, coordinate them, print progress, write the reports.

``cli.py`` builds a Config and calls ``run``; everything a run does between the
tasks file being imported and the exit code being chosen is here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import signal
import sys
import tempfile
import time

import gevent
from gevent.event import Event

from fastswarm.config.settings import Config
from fastswarm.exception import CheckFailedError, WorkerLostError
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.state import WorkerInfo
from fastswarm.ipc.supervisor import Child, Supervisor, describe_status
from fastswarm.ipc.worker import run_worker
from fastswarm.master.checks import CheckResult, evaluate, format_results, lost_for_good, parse_checks
from fastswarm.master.loader import TasksFile
from fastswarm.master.session_control import TestControl
from fastswarm.master.shape_driver import ShapeDriver
from fastswarm.stats import report
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.open_console import format_open_live, format_open_summary
from fastswarm.user.env import Environment, set_current

log = logging.getLogger(__name__)


def run(config: Config, tasks: TasksFile) -> int:
    """Run the test the config describes; returns the process exit code."""
    if config.worker:
        return _run_remote_workers(config, tasks)
    return MasterSession(config, tasks).run()


def _run_remote_workers(config: Config, tasks: TasksFile) -> int:
    address = f"tcp://{config.master_host}:{config.master_port}"
    if config.processes == 1:
        return run_worker(config, list(tasks.user_classes), address)
    supervisor = Supervisor()
    supervisor.fork_workers(
        config.processes, lambda _: run_worker(config, list(tasks.user_classes), address, True)
    )
    supervisor.wait_all(timeout=float("inf"))
    codes = [os.WEXITSTATUS(c.exit_status or 0) for c in supervisor.children]
    return max(codes, default=0)


class MasterSession(TestControl):
    """The master process from fork to exit code; the web app drives it via TestControl."""

    def __init__(self, config: Config, tasks: TasksFile) -> None:
        self.init_control()
        self.config = config
        self.tasks = tasks
        self.supervisor = Supervisor()
        self.done = Event()
        self.interrupts = 0
        self.lost: list[str] = []
        self.runner: MasterRunner | None = None
        self.started_at = 0.0
        self.quitting = False
        self.checks = parse_checks(config.checks)
        self.aborted_by: CheckResult | None = None  # the check that ended the run (--check-abort)
        self.shape: ShapeDriver | None = None

    def run(self) -> int:
        config = self.config
        ipc_dir = None
        if config.master:
            address = f"tcp://{config.master_bind_host}:{config.master_port}"
            expected = config.expect_workers
        else:
            ipc_dir = tempfile.mkdtemp(prefix="fastswarm-")
            address = f"ipc://{ipc_dir}/master.sock"
            expected = config.processes
            # Fork first: the master must own no greenlet, socket or ZeroMQ context yet.
            users = list(self.tasks.user_classes)
            self.supervisor.fork_workers(expected, lambda _: run_worker(config, users, address, True))
        try:
            return self._coordinate(address, expected)
        finally:
            if self.supervisor.children and not self.supervisor.wait_all(timeout=5):
                self.supervisor.terminate_all()
            if ipc_dir:
                shutil.rmtree(ipc_dir, ignore_errors=True)

    def _coordinate(self, address: str, expected: int) -> int:
        config = self.config
        env = Environment(
            role="master",
            user_classes=list(self.tasks.user_classes),
            host=config.host,
            worker_count=expected,
            stop_timeout=config.stop_timeout,
            parsed_options=config,
        )
        set_current(env)
        aggregator = Aggregator(max_names=config.max_names)
        channel = MasterChannel(address)
        channel.start()
        runner = self.runner = MasterRunner(
            env, channel, aggregator, dataclasses.replace(config, expect_workers=expected)
        )
        env.runner = runner
        runner.on_worker_lost = self._worker_lost
        self.supervisor.watch(self._child_exited)
        runner.start_serving()
        gevent.signal_handler(signal.SIGINT, self._interrupt)
        gevent.signal_handler(signal.SIGTERM, self._interrupt)
        try:
            self.open_hdr_log(aggregator)
            self.start_web()
            env.events.init.fire(environment=env)
            if not runner.wait_for_workers(expected, config.expect_workers_timeout):
                raise WorkerLostError(
                    f"only {len(runner.alive_workers())} of {expected} workers connected "
                    f"within {config.expect_workers_timeout:.0f} s"
                )
            if self.interrupts == 0 and config.headless:
                self._run_test(runner)
            elif self.interrupts == 0:
                self.wait_for_end()  # web mode: the UI/API (or --autostart) runs tests until quit
            stopped_cleanly = runner.stop(force=self.interrupts >= 2)
            if not stopped_cleanly:
                self.lost.append("some workers did not confirm the stop; their last interval may be missing")
            return self._finish(runner, aggregator)
        finally:
            self.quitting = True  # workers exiting from here on are not lost
            self.close_control()
            env.events.quitting.fire(environment=env)
            runner.quit()
            channel.close()

    def _run_test(self, runner: MasterRunner) -> None:
        config = self.config
        if self.tasks.shape_class is not None:
            self._run_shape(runner)
        elif config.rate is not None:  # the open model: -u/-r do not apply
            start, end = config.rate
            runner.start_open(
                start, end, config.ramp or 0.0, config.arrival, config.max_users, config.run_time, config.host
            )
        else:
            runner.start(config.users, config.spawn_rate, config.host)
        self.started_at = time.time()
        console = gevent.spawn(self._console_loop, runner)
        watcher = gevent.spawn(self._watch_checks, runner) if config.check_abort and self.checks else None
        deadline = config.run_time if self.shape is None else None  # a shape says when to stop
        try:
            self.done.wait(timeout=deadline)
        finally:
            console.kill(block=False)
            if watcher is not None:
                watcher.kill(block=False)
            if self.shape is not None:
                self.shape.stop()

    def _run_shape(self, runner: MasterRunner) -> None:
        """Let the tasks file's LoadTestShape drive users (or rate) and the end of the run."""
        config, shape_class = self.config, self.tasks.shape_class
        assert shape_class is not None
        defaults = Config()
        ignored = [
            flag
            for flag, given, default in (
                ("-u", config.users, defaults.users),
                ("-r", config.spawn_rate, defaults.spawn_rate),
                ("-t", config.run_time, defaults.run_time),
            )
            if given != default
        ]
        if ignored:
            print(
                f"fastswarm: warning: {shape_class.__name__} drives this run; {', '.join(ignored)} ignored",
                file=sys.stderr,
                flush=True,
            )
        self.shape = ShapeDriver(shape_class(), runner, config.host, self.done.set)
        self.shape.start()

    def _watch_checks(self, runner: MasterRunner) -> None:
        """--check-abort: end the run as soon as a check has failed for good."""
        while True:
            gevent.sleep(self.config.report_interval)
            lost = lost_for_good(self.checks, runner.aggregator)
            if lost:
                self.aborted_by = lost[0]
                line = f"fastswarm: check failed, stopping the run: {lost[0].describe()}"
                print(line, file=sys.stderr, flush=True)
                self.done.set()
                return

    def _console_loop(self, runner: MasterRunner) -> None:
        while True:
            gevent.sleep(self.config.console_interval)
            agg = runner.aggregator
            text = report.format_live_table(
                agg.endpoint_rows(), agg.totals_row(), runner.user_count, runner.worker_count, agg.duration_s
            )
            open_text = format_open_live(agg)
            print(f"{text}\n{open_text}" if open_text else text, flush=True)

    def _finish(self, runner: MasterRunner, aggregator: Aggregator) -> int:
        config = self.config
        totals = aggregator.totals_row()
        print(
            report.format_summary(
                aggregator.endpoint_rows(), totals, aggregator.errors(), aggregator.user_errors()
            ),
            flush=True,
        )
        run_info = report.RunInfo(
            started_at=self.started_at or time.time(),
            duration_s=aggregator.duration_s,
            host=runner.environment.host,
            users=runner.target_users,
            processes=len(runner.workers),
            rate=config.rate,
        )
        open_text = format_open_summary(aggregator)
        if open_text:
            print(open_text, flush=True)
        results = self._evaluate_checks(aggregator)
        extra = {"workers_lost": list(self.lost), **self._report_extra(results)}
        if config.json_path:
            report.write_json_report(config.json_path, report.build_json_report(aggregator, run_info, extra))
        if config.csv_prefix:
            report.write_csv(config.csv_prefix, aggregator)
        self.write_html(aggregator, run_info)
        for line in self.lost:
            print(f"fastswarm: error: {line}", file=sys.stderr)
        code = 0
        if totals.failures > 0:
            code = config.exit_code_on_error
        if self.lost and code == 0:
            code = WorkerLostError.exit_code
        code = self._outcome_code(code, results)
        runner.environment.events.quit.fire(exit_code=code)
        return code

    def _evaluate_checks(self, aggregator: Aggregator) -> list[CheckResult]:
        """Judge every --check on the merged result, and print them after the summary."""
        results = evaluate(self.checks, aggregator)
        if results:
            print(format_results(results), flush=True)
        return results

    def _report_extra(self, results: list[CheckResult]) -> dict[str, object]:
        """The JSON report's keys for checks and the load shape."""
        extra: dict[str, object] = {"checks": [r.to_json() for r in results]}
        if self.aborted_by is not None:
            extra["aborted_by_check"] = self.aborted_by.check.expr
        if self.shape is not None:
            extra["shape"] = self.shape.report()
        return extra

    def _outcome_code(self, code: int, results: list[CheckResult]) -> int:
        """A broken load shape (2) wins over a failed check (3), which wins over failures (1)."""
        if self.shape is not None and self.shape.error is not None:
            print(f"fastswarm: error: {self.shape.error}", file=sys.stderr, flush=True)
            return self.shape.error.exit_code
        if any(not r.passed for r in results):
            return CheckFailedError.exit_code
        return code

    # -- happenings --
    def _interrupt(self) -> None:
        self.interrupts += 1
        if self.interrupts == 1:
            print("\nstopping (press Ctrl-C again to stop at once)", file=sys.stderr, flush=True)
        elif self.runner is not None:
            self.runner.send_stop(force=True)
        self.done.set()

    def _child_exited(self, child: Child) -> None:
        runner = self.runner
        if runner is None or self.quitting:
            return
        for worker in runner.alive_workers():
            if worker.pid == child.pid:
                runner.mark_lost(worker, describe_status(child.exit_status or 0))

    def _worker_lost(self, worker: WorkerInfo, reason: str) -> None:
        runner = self.runner
        assert runner is not None
        remaining = len(runner.alive_workers())
        line = f"worker {worker.index} (pid {worker.pid}) lost: {reason}; carrying on with {remaining}"
        print(f"fastswarm: error: {line}", file=sys.stderr, flush=True)
        self.lost.append(line)
        if remaining == 0:
            self.done.set()
