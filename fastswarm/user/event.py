"""The catalogue of events (``Events``) and the process's instance, ``events``.

The shape is Locust's (``locust/event.py``): one hook per event with its arguments
documented beside it. The hooks are in ``event_hook.py``; old event names are served by
``legacy_events.py`` (both below this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastswarm.user.event_hook import EventHook as EventHook
from fastswarm.user.event_hook import Listener as Listener
from fastswarm.user.event_hook import RequestHook as RequestHook
from fastswarm.user.event_hook import RequestRecorder as RequestRecorder
from fastswarm.user.event_hook import error_text as error_text
from fastswarm.user.legacy_events import legacy_event


@dataclass(eq=False)
class Events:
    """The catalogue of events. Each process has one (``events``); listeners attach at import."""

    init: EventHook = field(default_factory=EventHook)
    """Once per process, after its Environment and runner exist (on a worker: after the fork),
    before any test starts. Arguments: ``environment``."""

    init_command_line_parser: EventHook = field(default_factory=EventHook)
    """Once, in the master, while the command line is being defined, so a tasks file can add
    its own options (they appear in ``environment.parsed_options``). Arguments: ``parser``."""

    test_start: EventHook = field(default_factory=EventHook)
    """Once per test per process (the master and every worker), before users spawn; check
    ``environment.role`` to act in only one of them. Arguments: ``environment``."""

    test_stopping: EventHook = field(default_factory=EventHook)
    """Once per test per process, when the stop begins and users are still running.
    Arguments: ``environment``."""

    test_stop: EventHook = field(default_factory=EventHook)
    """Once per test per process, after every user has stopped. Arguments: ``environment``."""

    spawning_complete: EventHook = field(default_factory=EventHook)
    """Each time a ramp reaches its target user count (per process, with that process's
    share). Arguments: ``user_count``."""

    request: RequestHook = field(default_factory=RequestHook)
    """Per request, in the worker that made it, only while it has listeners (firing it
    yourself also records the request). Arguments: ``request_type``, ``name``,
    ``response_time`` (ms, float), ``response_length``, ``exception`` (None on success),
    ``context`` (dict), ``response``, ``url``, plus any the client adds (``start_time``)."""

    user_error: EventHook = field(default_factory=EventHook)
    """Each time a task (or on_start/on_stop) raises an unexpected exception; the user goes on.
    Arguments: ``user_instance``, ``exception``, ``tb``."""

    report_to_master: EventHook = field(default_factory=EventHook)
    """In a worker, once per report interval, before its stats are sent; listeners may add
    keys to ``data``. Arguments: ``client_id``, ``data``."""

    worker_report: EventHook = field(default_factory=EventHook)
    """In the master, once per report received from a worker, with what ``report_to_master``
    added. Arguments: ``client_id``, ``data``."""

    quitting: EventHook = field(default_factory=EventHook)
    """Once per process as it begins to exit; a listener may set
    ``environment.process_exit_code``. Arguments: ``environment``."""

    quit: EventHook = field(default_factory=EventHook)
    """Once per process, the last thing before it exits. Arguments: ``exit_code``."""

    reset_stats: EventHook = field(default_factory=EventHook)
    """Each time the statistics are reset (from the status endpoint or after a ramp, with
    --reset-stats), in every process. No arguments."""

    heartbeat: EventHook = field(default_factory=EventHook)
    """In the master, once per heartbeat received from a worker (every heartbeat interval);
    in a worker, once per heartbeat sent. Arguments: ``client_id``, ``timestamp``."""

    heartbeat_sent: EventHook = field(default_factory=EventHook)
    """In a worker, once per heartbeat it sends the master (Locust's). Arguments: ``client_id``
    (this worker's), ``timestamp`` (epoch s)."""

    heartbeat_received: EventHook = field(default_factory=EventHook)
    """In the master, once per heartbeat a live worker sends (Locust's). Arguments:
    ``client_id`` (the worker's), ``timestamp`` (epoch s, when it arrived)."""

    usage_monitor: EventHook = field(default_factory=EventHook)
    """In every process, every few seconds, with its resource use. Arguments: ``environment``,
    ``cpu_usage`` (percent of one core), ``memory_usage`` (bytes, resident)."""

    def __getattr__(self, name: str) -> Any:
        """Older event names (``request_success``, ``locust_start_hatching``...): legacy_events.py."""
        if name.startswith("_"):
            raise AttributeError(name)
        return legacy_event(self, name)


events = Events()
