"""``run_single_user``: one user, in this process, printing each request, for an IDE's debugger.

A breakpoint in a task cannot be reached through the master and forked workers; so, as in
Locust, a tasks file can end with::

    if __name__ == "__main__":
        run_single_user(MyUser)

and be run (or debugged) as a plain script. The user runs in this process's gevent loop
with a worker's Environment (role "worker", index 0 of 1), so ``init``, ``test_start``,
``test_stopping`` and ``test_stop`` fire as in a real worker, and every request prints a
line. It returns when the user stops (``StopUser``), after ``run_time`` seconds, or on
Ctrl-C; the user's background greenlets are killed on the way out.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from fastswarm.engine.gevent_patch import patch_gevent

if TYPE_CHECKING:
    from fastswarm.user.env import Environment
    from fastswarm.user.users import User


class _RequestPrinter:
    """An ``events.request`` listener that prints one line per request."""

    def __init__(
        self, stream: IO[str], include_length: bool, include_time: bool, include_context: bool
    ) -> None:
        self.stream = stream
        self.include_length = include_length
        self.include_time = include_time
        self.include_context = include_context
        self.count = 0

    def header(self) -> None:
        columns = ["type", "name".ljust(40), "resp_ms".rjust(9)]
        if self.include_length:
            columns.append("length".rjust(8))
        if self.include_time:
            columns.append("time".ljust(15))
        columns.append("exception")
        if self.include_context:
            columns.append("context")
        print("  ".join(columns), file=self.stream, flush=True)

    def __call__(
        self,
        *,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int | None = None,
        exception: Any = None,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        import time

        self.count += 1
        columns = [request_type.ljust(4), name.ljust(40), f"{response_time:9.1f}"]
        if self.include_length:
            columns.append(f"{response_length or 0:8d}")
        if self.include_time:
            columns.append(time.strftime("%H:%M:%S", time.localtime()).ljust(15))
        columns.append("" if exception is None else f"{type(exception).__name__}: {exception}")
        if self.include_context:
            columns.append(repr(context or {}))
        print("  ".join(columns).rstrip(), file=self.stream, flush=True)


def run_single_user(
    user_class: type[User],
    include_length: bool = False,
    include_time: bool = False,
    include_context: bool = False,
    include_payload: bool = False,
    loglevel: str | None = "WARNING",
    *,
    host: str | None = None,
    run_time: float | None = None,
    stream: IO[str] | None = None,
) -> Environment:
    """Run one ``user_class`` user here until it stops, ``run_time`` passes, or Ctrl-C.

    Locust's positional arguments are accepted (``include_payload`` is ignored). Returns the
    Environment, whose ``recorder`` holds what was measured.
    """
    patch_gevent()
    import logging

    from gevent.pool import Group

    from fastswarm.compat.spellings import show_deprecations
    from fastswarm.config.options import apply_custom_options
    from fastswarm.config.settings import Config
    from fastswarm.stats.recorder import Recorder
    from fastswarm.user.env import Environment, current, set_current
    from fastswarm.user.event import events

    del include_payload
    show_deprecations()
    if loglevel:
        logging.basicConfig(level=loglevel.upper(), stream=sys.stderr)
    options = apply_custom_options(Config(locustfile=""), events)
    env = Environment(
        role="worker",
        user_classes=[user_class],
        host=host or user_class.host,
        recorder=Recorder(),
        parsed_options=options,
    )
    printer = _RequestPrinter(stream or sys.stdout, include_length, include_time, include_context)
    previous_env, previous_recorder = current(), events.request.recorder
    events.request.bind(env.recorder)
    events.request.add_listener(printer)
    set_current(env)
    group = Group()
    try:
        printer.header()
        events.init.fire(environment=env)
        events.test_start.fire(environment=env)
        user = user_class(env)
        greenlet = user.start(group)
        try:
            greenlet.join(timeout=run_time)
        except KeyboardInterrupt:
            pass
        events.test_stopping.fire(environment=env)
        user.stop(force=True)
        group.join(timeout=5)
        env.kill_background()
        events.test_stop.fire(environment=env)
    finally:
        group.kill(block=True, timeout=1)
        events.request.remove_listener(printer)
        events.request.bind(previous_recorder)
        set_current(previous_env)
    return env
