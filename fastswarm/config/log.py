"""``setup_logging``: how every fastswarm process logs (Locust's ``locust.log.setup_logging``).

One format for the master and the workers, to stderr and, when asked, to a file too, so a
tasks file run from a script or a notebook can log the same way the command does.
"""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(loglevel: str = "INFO", logfile: str | None = None) -> None:
    """Log at ``loglevel`` (a name such as ``"DEBUG"``) to stderr, and to ``logfile`` if given."""
    level = logging.getLevelName(loglevel.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {loglevel!r}")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        handlers.append(logging.FileHandler(logfile))
    logging.basicConfig(level=level, format=LOG_FORMAT, handlers=handlers, force=bool(logfile))
