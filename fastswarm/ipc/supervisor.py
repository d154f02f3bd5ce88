"""Fork the worker processes, notice when one dies, and make sure none outlives the run."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import gevent

log = logging.getLogger(__name__)


@dataclass
class Child:
    """One forked worker."""

    local_index: int
    pid: int
    exit_status: int | None = None

    @property
    def alive(self) -> bool:
        return self.exit_status is None


def describe_status(status: int) -> str:
    """'exit code 3' or 'killed by SIGKILL', from a waitpid status."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(signum).name}"
        except ValueError:
            return f"killed by signal {signum}"
    return f"exit code {os.WEXITSTATUS(status)}"


class Supervisor:
    """Forks workers and reaps them. Fork before the master starts any greenlet or socket."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self._watcher: gevent.Greenlet | None = None

    def fork_workers(self, count: int, target: Callable[[int], int]) -> list[Child]:
        """Fork ``count`` children, each running ``target(local_index)`` and exiting with its code."""
        for local_index in range(count):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()  # gevent's fork once monkey-patched: the child's hub is reinitialised
            if pid == 0:
                self._become_worker(local_index, target)
            self.children.append(Child(local_index, pid))
        return self.children

    @staticmethod
    def _become_worker(local_index: int, target: Callable[[int], int]) -> None:
        # Ctrl-C reaches the whole process group; only the master decides what it means.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        code = 1
        try:
            code = target(local_index)
        except BaseException:  # noqa: BLE001 - a child must never return into the master's code
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def watch(self, on_exit: Callable[[Child], None], poll_s: float = 0.2) -> None:
        """Call ``on_exit(child)`` from a greenlet whenever a child ends."""
        self._watcher = gevent.spawn(self._watch, on_exit, poll_s)

    def _watch(self, on_exit: Callable[[Child], None], poll_s: float) -> None:
        while any(child.alive for child in self.children):
            for child in self.children:
                if child.alive and self._reap(child):
                    on_exit(child)
            gevent.sleep(poll_s)

    @staticmethod
    def _reap(child: Child) -> bool:
        try:
            pid, status = os.waitpid(child.pid, os.WNOHANG)
        except ChildProcessError:
            child.exit_status = 0
            return True
        if pid == 0:
            return False
        child.exit_status = status
        return True

    def wait_all(self, timeout: float) -> bool:
        """Reap every child within ``timeout`` seconds; True when none is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in self.children:
                if child.alive:
                    self._reap(child)
            if not any(child.alive for child in self.children):
                return True
            gevent.sleep(0.05)
        return False

    def terminate_all(self, grace_s: float = 2.0) -> None:
        """SIGTERM the survivors, then SIGKILL whoever is still there after ``grace_s``."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for child in self.children:
                if child.alive:
                    try:
                        os.kill(child.pid, sig)
                    except ProcessLookupError:
                        pass
            if self.wait_all(grace_s):
                break
        if self._watcher is not None:
            self._watcher.kill(block=False)
