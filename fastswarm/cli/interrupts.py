"""Ctrl-C before a run can report: one line and exit 130, whatever Python was doing at the moment.

Two things get in the way of Python's own ``KeyboardInterrupt``. Raised inside a weakref
callback or a ``__del__`` (the import system runs such callbacks all the time), it is printed
as "Exception ignored" and dropped, and the run would go on as if no key had been pressed;
so the handler also notes the signal, and ``check()`` raises again where it is safe. And once
gevent's event loop has seen one, it may re-raise it while the interpreter shuts down, which
ends the process by SIGINT instead of exit code 130; so ``exit_interrupted`` leaves at once.
The master installs its own handlers when its session starts (``master/run.py``).
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import NoReturn

_seen: list[int] = []


def install() -> None:
    """Take Ctrl-C over from Python's default handler (it still raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _seen.append(signum)
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came but its exception was dropped on the way."""
    if _seen:
        raise KeyboardInterrupt


def exit_interrupted() -> NoReturn:
    """Say so in one line and exit 130 now (nothing is half-written: no run has reported yet)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot break the line
    sys.stdout.flush()
    print("fastswarm: interrupted", file=sys.stderr, flush=True)
    os._exit(130)
