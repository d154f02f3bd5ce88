"""Run one generator as a child process and charge it every CPU second its process tree used.

CPU time comes from the kernel: resource.getrusage(RUSAGE_CHILDREN) before and after the run. That
counter includes a grandchild only once it has been waited for, so this process makes itself a
child subreaper (prctl PR_SET_CHILD_SUBREAPER): a generator's worker that outlives its parent is
re-parented here, and is waited for (or, after a grace period, killed and then waited for) before
the second reading. The generator runs in its own session, which is how its leftovers are found.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36


def enable_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process. Call after starting daemons (nginx)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True, slots=True)
class ProcResult:
    returncode: int
    cpu_s: float  # user + sys of the whole process tree
    wall_s: float
    stdout: str
    stderr: str
    timed_out: bool
    strays: int  # descendants still alive after the generator exited (waited for or killed)
    strays_unaccounted: int  # of those, ones that were not our children, so their CPU is missing


def _cpu(ru: resource.struct_rusage) -> float:
    return ru.ru_utime + ru.ru_stime


def _session_members(sid: int) -> list[tuple[int, int]]:
    """(pid, ppid) of every process whose session id is sid."""
    found: list[tuple[int, int]] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        # fields: state ppid pgrp session ...
        if int(fields[3]) == sid:
            found.append((int(entry), int(fields[1])))
    return found


def _reap_strays(sid: int, grace_s: float) -> tuple[int, int]:
    """Wait for (then kill) what is left of session sid. Returns (strays, unaccounted)."""
    me = os.getpid()
    seen: set[int] = set()
    unaccounted: set[int] = set()
    deadline = time.monotonic() + grace_s
    killed = False
    while True:
        members = _session_members(sid)
        if not members:
            break
        for pid, ppid in members:
            seen.add(pid)
            if ppid == me:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            else:
                unaccounted.add(pid)
        if not killed and time.monotonic() > deadline:
            for pid, _ in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed = True
            deadline = time.monotonic() + grace_s
        elif killed and time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return len(seen), len(unaccounted)


def run_measured(argv: list[str], log_prefix: Path, timeout_s: float, grace_s: float = 5.0) -> ProcResult:
    """Run argv to completion; stdout/stderr are kept in log_prefix.out / .err and returned."""
    out_path = log_prefix.with_suffix(".out")
    err_path = log_prefix.with_suffix(".err")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    timed_out = False
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
        except BaseException:  # Ctrl-C: its own session does not get the SIGINT, so end it here
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    wall = time.monotonic() - t0
    strays, unaccounted = _reap_strays(proc.pid, grace_s)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ProcResult(
        returncode=returncode,
        cpu_s=_cpu(after) - _cpu(before),
        wall_s=wall,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        timed_out=timed_out,
        strays=strays,
        strays_unaccounted=unaccounted,
    )
