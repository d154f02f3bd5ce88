"""A runner's state, one set of values for the master, each worker and the local runner.

Locust names them as module constants (``locust.runners.STATE_RUNNING == "running"``) and
locustfiles compare ``environment.runner.state`` against those constants or the plain
strings. ``RunState`` is a ``StrEnum`` so both comparisons hold, and the constants are its
members (served at Locust's path by ``fastswarm.runners``). ``WAITING`` is fastswarm's own:
a master that has not yet seen the workers it expects (Locust's master says ``ready`` then).
"""

from __future__ import annotations

import enum


class RunState(enum.StrEnum):
    """Where a runner is in its life; equal to Locust's string for the same state."""

    WAITING = "waiting"  # master: for the expected workers to connect
    READY = "ready"
    SPAWNING = "spawning"
    RUNNING = "running"
    CLEANUP = "cleanup"  # Locust's, named so that comparisons with it hold; fastswarm never enters it
    STOPPING = "stopping"
    STOPPED = "stopped"
    MISSING = "missing"  # a worker, as its master sees it once lost


STATE_INIT = RunState.READY
STATE_SPAWNING = RunState.SPAWNING
STATE_RUNNING = RunState.RUNNING
STATE_CLEANUP = RunState.CLEANUP
STATE_STOPPING = RunState.STOPPING
STATE_STOPPED = RunState.STOPPED
STATE_MISSING = RunState.MISSING

# What a worker reports in its heartbeats (the protocol accepts these and no others).
WORKER_STATES = (RunState.READY, RunState.SPAWNING, RunState.RUNNING, RunState.STOPPING, RunState.STOPPED)


def under_way(state: RunState | str) -> bool:
    """True while a test is spawning or running (a plain state string from a heartbeat too)."""
    return state in (RunState.SPAWNING, RunState.RUNNING)


def idle(state: RunState) -> bool:
    """True when no test is under way: a new one starts from zero."""
    return state in (RunState.WAITING, RunState.READY, RunState.STOPPED)
