"""Fork the worker processes, notice when one dies, and make sure none outlives the run.

Forking is guarded at both ends. Ctrl-C and SIGTERM are blocked around each fork, so a
signal arriving then reaches the master after the child is on the books (and the child
never runs a line of the master's code with the master's handlers); a fork that fails
(out of processes or memory) ends the children already started before the error rises as
one ``StartupError`` line. A child also watches its parent: when the master is gone, the
child's ``on_orphaned`` runs (the run's socket folder is removed even after ``kill -9``).
"""

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

from fastswarm.exception import StartupError

log = logging.getLogger(__name__)
_GUARDED = {signal.SIGINT, signal.SIGTERM}
ORPHAN_POLL_S = 0.5


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

    def fork_workers(
        self,
        count: int,
        target: Callable[[int], int],
        on_orphaned: Callable[[], None] | None = None,
    ) -> list[Child]:
        """Fork ``count`` children, each running ``target(local_index)`` and exiting with its code.

        Raises ``StartupError`` if a fork fails, after ending the children already forked.
        ``on_orphaned`` runs in a child once its parent (the master) has gone.
        """
        master = os.getpid()
        for local_index in range(count):
            sys.stdout.flush()
            sys.stderr.flush()
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _GUARDED)
            try:
                pid = os.fork()  # gevent's fork once monkey-patched: the child's hub is reinitialised
            except OSError as exc:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                self.terminate_all()
                raise StartupError(
                    f"could not start worker process {local_index + 1} of {count}: "
                    f"{exc.strerror or exc}; the {local_index} already started were stopped"
                ) from None
            if pid == 0:
                self._become_worker(local_index, target, blocked, master, on_orphaned)
            self.children.append(Child(local_index, pid))
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a Ctrl-C held back lands here
        return self.children

    @staticmethod
    def _become_worker(
        local_index: int,
        target: Callable[[int], int],
        mask: set[int | signal.Signals],
        master: int,
        on_orphaned: Callable[[], None] | None,
    ) -> None:
        # Ctrl-C reaches the whole process group; only the master decides what it means.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = 1
        try:
            if on_orphaned is not None:
                gevent.spawn(_watch_parent, master, on_orphaned)
            code = target(local_index)
        except BaseException:  # noqa: BLE001 - a child must never return into the master's code
            traceback.print_exc()
        finally:
            if on_orphaned is not None and os.getppid() != master:
                # the worker noticed the master's death (its socket) before the watcher's poll did
                _clean_up(on_orphaned)
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


def _watch_parent(master: int, on_orphaned: Callable[[], None]) -> None:
    """In a child: call ``on_orphaned`` once the master is gone (the child was re-parented)."""
    while os.getppid() == master:
        gevent.sleep(ORPHAN_POLL_S)
    _clean_up(on_orphaned)


def _clean_up(on_orphaned: Callable[[], None]) -> None:
    try:
        on_orphaned()
    except Exception:  # noqa: BLE001 - a failed clean-up must not take the worker down
        log.exception("cleaning up after the master failed")
