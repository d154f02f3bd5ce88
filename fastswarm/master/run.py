"""A whole run: fork the workers, coordinate them, print progress, write the reports.

``cli.py`` builds a Config and calls ``run``; everything a run does between the
tasks file being imported and the exit code being chosen is here.

Start-up can be interrupted at any moment: before the master's own signal handler is set,
Ctrl-C is a ``KeyboardInterrupt`` (the workers forked so far are ended at once, the socket
folder removed); after it, an interrupt before anything was measured ends the session the
same way, without an empty summary. ``cli`` turns it into one line and exit code 130.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import signal
import sys
import tempfile
import time

import gevent
from gevent.event import Event

from fastswarm.config.settings import Config
from fastswarm.exception import CheckFailedError, WorkerLostError
from fastswarm.ipc.admission import Fingerprint
from fastswarm.ipc.channel import MasterChannel
from fastswarm.ipc.coordinator import MasterRunner
from fastswarm.ipc.keys import MasterKeys
from fastswarm.ipc.state import WorkerInfo
from fastswarm.ipc.supervisor import Child, Supervisor, describe_status
from fastswarm.ipc.worker import run_worker
from fastswarm.master.capacity import CapacitySearch
from fastswarm.master.checks import CheckResult, evaluate, format_results, lost_for_good, parse_checks
from fastswarm.master.loader import TasksFile
from fastswarm.master.malloc import return_large_blocks
from fastswarm.master.outcome import interrupted_at_stop, nothing_measured
from fastswarm.master.preflight import check_before_start
from fastswarm.master.remote import master_keys, run_remote_workers
from fastswarm.master.services import SessionServices, fire_init
from fastswarm.master.session_control import TestControl, print_live_tables
from fastswarm.master.shape_driver import ShapeDriver, flags_a_shape_ignores
from fastswarm.stats import report
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.open_console import format_open_summary
from fastswarm.user.env import Environment, set_current

log = logging.getLogger(__name__)


def run(config: Config, tasks: TasksFile) -> int:
    """Run the test the config describes; returns the process exit code."""
    check_before_start(config, tasks)
    if config.worker:
        return run_remote_workers(config, tasks)
    return MasterSession(config, tasks).run()


class MasterSession:
    """The master process from fork to exit code; the web app drives it through ``control``."""

    def __init__(self, config: Config, tasks: TasksFile) -> None:
        self.config = config
        self.tasks = tasks
        self.supervisor = Supervisor()
        self.done = Event()
        self.checks = parse_checks(config.checks)
        self.control = TestControl(config, self.done, str(tasks.path), self.checks)
        self.services = SessionServices(config)
        self.interrupted = Event()  # set by the first Ctrl-C or SIGTERM, as done is
        self.interrupts = 0
        self.lost: list[str] = []
        self.rejoined: list[str] = []  # workers that came back after they were lost
        self.runner: MasterRunner | None = None
        self.fingerprint: Fingerprint | None = None  # the tasks file's, read when the run starts
        self.quitting = False
        self.aborted_by: CheckResult | None = None  # the check that ended the run (--check-abort)
        self.shape: ShapeDriver | None = None
        self.capacity: CapacitySearch | None = None
        self.keys: MasterKeys | None = None  # CURVE on tcp:// (--curve-dir)

    def run(self) -> int:
        config = self.config
        # Until the event loop's handler is set (in _coordinate), Ctrl-C raises here and is
        # noted, in case Python drops that exception (see cli/interrupts.py).
        signal.signal(signal.SIGINT, self._early_interrupt)
        ipc_dir = None
        self.fingerprint = Fingerprint.of_tasks_file(self.tasks.path)
        # --otel: a missing package or a bad endpoint ends the run before the fork
        self.services.prepare_otel(self.control.gauges)
        if config.master:
            address = f"tcp://{config.master_bind_host}:{config.master_port}"
            expected = config.expect_workers
            self.keys = master_keys(config, address)
        else:
            ipc_dir = tempfile.mkdtemp(prefix="fastswarm-")
            address = f"ipc://{ipc_dir}/master.sock"
            expected = config.processes
        try:
            if ipc_dir:
                # Fork first: the master must own no greenlet, socket or ZeroMQ context yet.
                # A worker whose master is gone (kill -9) removes the socket folder itself.
                users, fingerprint = list(self.tasks.user_classes), self.fingerprint
                self.supervisor.fork_workers(
                    expected,
                    lambda _: run_worker(config, users, address, True, fingerprint),
                    on_orphaned=lambda: shutil.rmtree(ipc_dir, ignore_errors=True),
                )
            return self._coordinate(address, expected)
        except KeyboardInterrupt:
            self.supervisor.terminate_all()  # start-up interrupted: no worker waits for a master
            raise
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
        return_large_blocks()  # after the fork: the master's allocator only
        aggregator = Aggregator(max_names=config.max_names)
        channel = MasterChannel(address, self.keys, config.max_message_size)
        channel.start()
        runner = self.runner = MasterRunner(
            env, channel, aggregator, dataclasses.replace(config, expect_workers=expected), self.fingerprint
        )
        env.runner = runner
        self.control.attach(runner)
        runner.on_worker_lost, runner.on_quit = self._worker_lost, self.done.set  # quit(): end the run
        runner.on_worker_rejoined = self._worker_rejoined
        self.supervisor.watch(self._child_exited)
        runner.start_serving()
        gevent.signal_handler(signal.SIGINT, self._interrupt)
        gevent.signal_handler(signal.SIGTERM, self._interrupt)
        if self.interrupts:  # a Ctrl-C whose exception was lost before the handler was set
            self.interrupted.set()
            self.done.set()
        try:
            self.services.open_hdr_log(aggregator)
            self.services.start_otel(aggregator)
            self.services.start_web(self.control)
            env.web_ui = self.services.web_ui
            fire_init(env)
            if not self._wait_for_workers(runner, expected):
                raise WorkerLostError(
                    f"only {len(runner.alive_workers())} of {expected} workers connected "
                    f"within {config.expect_workers_timeout:.0f} s"
                )
            if self.interrupts == 0 and config.headless:
                self._run_test(runner)
            elif self.interrupts == 0:
                self.control.wait_for_end()  # web mode: the UI/API (or --autostart) runs tests until quit
            stopped_cleanly = runner.stop(force=self.interrupts >= 2)
            if self.interrupts and nothing_measured(aggregator):
                raise KeyboardInterrupt  # interrupted during start-up: no empty summary, exit 130
            if not stopped_cleanly:
                self.lost.append("some workers did not confirm the stop; their last interval may be missing")
            return self._finish(runner, aggregator)
        finally:
            self.quitting = True  # workers exiting from here on are not lost
            self.services.close()
            env.events.quitting.fire(environment=env)
            runner.shutdown()
            channel.close()

    def _wait_for_workers(self, runner: MasterRunner, expected: int) -> bool:
        """Wait for the workers' hellos; a Ctrl-C meanwhile ends the wait (True: go on to stop)."""
        waiter = gevent.spawn(runner.wait_for_workers, expected, self.config.expect_workers_timeout)
        gevent.wait([waiter, self.interrupted], count=1)
        if not waiter.ready():
            waiter.kill()
            return True
        return bool(waiter.value)

    def _run_test(self, runner: MasterRunner) -> None:
        config = self.config
        if self.tasks.shape_class is not None:
            self._run_shape(runner)
        elif config.find_capacity:
            self._run_capacity(runner)
        elif config.rate is not None:  # the open model: -u/-r do not apply
            runner.start_open(config.open_spec(), config.host)
        else:
            runner.start(config.users, config.spawn_rate, config.host)
        self.control.mark_started()
        console = gevent.spawn(print_live_tables, runner, config.console_interval)
        watcher = gevent.spawn(self._watch_checks, runner) if config.check_abort and self.checks else None
        # a shape or a capacity search says when to stop
        deadline = config.run_time if self.shape is None and self.capacity is None else None
        try:
            self.done.wait(timeout=deadline)
        finally:
            console.kill(block=False)
            if watcher is not None:
                watcher.kill(block=False)
            if self.shape is not None:
                self.shape.stop()
            if self.capacity is not None:
                self.capacity.stop()

    def _run_shape(self, runner: MasterRunner) -> None:
        """Let the tasks file's LoadTestShape drive users (or rate) and the end of the run."""
        config, shape_class = self.config, self.tasks.shape_class
        assert shape_class is not None
        ignored = flags_a_shape_ignores(config)
        if ignored:
            print(
                f"fastswarm: warning: {shape_class.__name__} drives this run; {', '.join(ignored)} ignored",
                file=sys.stderr,
                flush=True,
            )
        self.shape = ShapeDriver(
            shape_class(), runner, config.host, self.done.set, open_spec=config.flat_open_spec
        )
        self.control.shape_name = shape_class.__name__
        self.shape.start()

    def _run_capacity(self, runner: MasterRunner) -> None:
        """--find-capacity: step the open-model rate until an --slo breaks (master/capacity.py)."""
        config = self.config
        start, top = config.capacity_rates
        runner.start_open(config.flat_open_spec(start), config.host)
        self.capacity = CapacitySearch(
            runner,
            parse_checks(config.slos),
            start,
            top,
            config.capacity_step_time,
            config.capacity_bisect,
            self.done.set,
            lambda line: print(line, flush=True),
        )
        self.capacity.start()

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

    def _finish(self, runner: MasterRunner, aggregator: Aggregator) -> int:
        config = self.config
        self.services.finish_otel()
        totals = aggregator.totals_row()
        print(
            report.format_summary(
                aggregator.endpoint_rows(), totals, aggregator.errors(), aggregator.user_errors()
            ),
            flush=True,
        )
        run_info = report.RunInfo(
            started_at=self.control.started_at or time.time(),
            duration_s=aggregator.duration_s,
            host=runner.environment.host,
            users=runner.target_users,
            processes=len(runner.workers),
            rate=config.rate,
            protocol_errors=runner.protocol_errors,
        )
        open_text = format_open_summary(aggregator)
        if open_text:
            print(open_text, flush=True)
        results = self._evaluate_checks(aggregator)
        if self.capacity is not None:
            print(self.capacity.format_result(), flush=True)
        extra = {
            "workers_lost": list(self.lost),
            "workers_rejoined": list(self.rejoined),
            **self._report_extra(results),
        }
        self.services.write_reports(aggregator, run_info, extra, lambda: self.control.report_extras(results))
        for line in self.lost:
            print(f"fastswarm: error: {line}", file=sys.stderr)
        code = 0
        stopped = interrupted_at_stop(aggregator)
        if totals.failures - stopped > 0 or aggregator.user_errors():
            code = config.exit_code_on_error  # as Locust: failed requests or errors in tasks
        if self.control.started_at and totals.requests - stopped == 0:  # a dead target, or no task at all
            line = "no request was made" if totals.requests == 0 else "no request finished before the stop"
            print(f"fastswarm: error: {line}", file=sys.stderr, flush=True)
            code = code or 1
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
        if self.capacity is not None:
            extra["capacity"] = self.capacity.report()
        if self.services.otel is not None:
            extra["otel"] = self.services.otel.report()
        return extra

    def _outcome_code(self, code: int, results: list[CheckResult]) -> int:
        """A broken load shape (2) wins over a failed check (3), which wins over failures (1)."""
        if self.shape is not None and self.shape.error is not None:
            print(f"fastswarm: error: {self.shape.error}", file=sys.stderr, flush=True)
            return self.shape.error.exit_code
        if any(not r.passed for r in results):
            return CheckFailedError.exit_code
        if self.capacity is not None and self.capacity.knee() is None:
            return CheckFailedError.exit_code  # no rate met the SLOs
        return code

    # -- happenings --
    def _early_interrupt(self, signum: int, frame: object) -> None:
        self.interrupts += 1
        raise KeyboardInterrupt

    def _interrupt(self) -> None:
        self.interrupts += 1
        self.interrupted.set()
        runner = self.runner
        measured = runner is not None and not nothing_measured(runner.aggregator)
        # The hint matters when users may take --stop-timeout to finish; an interrupted
        # start-up (nothing measured, nobody to wait for) ends in one line, not two.
        if self.interrupts == 1:
            if measured or (self.control.started_at and self.config.stop_timeout > 0):
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
        line = f"{worker.describe()} lost: {reason}; carrying on with {remaining}"
        print(f"fastswarm: error: {line}", file=sys.stderr, flush=True)
        self.lost.append(line)
        if remaining == 0:
            self.done.set()

    def _worker_rejoined(self, worker: WorkerInfo, away_s: float | None) -> None:
        """A lost worker came back (``away_s``: how long it was lost); the loss still counts
        for the exit code: its users were moved, and what it did meanwhile was its own."""
        runner = self.runner
        if away_s is None or runner is None:
            return
        live = runner.worker_count
        line = f"{worker.describe()} rejoined after {away_s:.1f} s lost; carrying on with {live}"
        print(f"fastswarm: {line}", file=sys.stderr, flush=True)
        self.rejoined.append(line)
