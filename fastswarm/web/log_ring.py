"""The master's last log lines, kept in memory for GET /logs and the UI's Logs tab.

A ``logging.Handler`` on the master's root logger that keeps the newest ``capacity``
records in a bounded deque (older ones fall off; memory never grows with the run's
length). Each record gets a sequence number, so a poller asks only for what is newer
than the last line it saw (``after``) and learns from ``dropped`` whether it missed some.
Formatting happens when a record arrives (the message's arguments may change later);
nothing here touches the per-request path, which never logs.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LogLine:
    """One formatted record."""

    seq: int
    time: float
    level: str
    logger: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": round(self.time, 3),
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
        }


class LogRing(logging.Handler):
    """Keeps the newest ``capacity`` records (0 keeps none). Building it attaches nothing:
    ``attach(logger)`` / ``detach()`` do."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self.capacity = capacity
        self._lines: deque[LogLine] = deque(maxlen=capacity or 1)
        self._seq = 0
        self._logger: logging.Logger | None = None
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not self.capacity:
            return
        try:
            message = self.format(record)
        except Exception:  # a broken %-format in someone's log call must not break logging
            self.handleError(record)
            return
        self._seq += 1
        self._lines.append(LogLine(self._seq, record.created, record.levelname, record.name, message))

    def lines(self, after: int = 0) -> list[LogLine]:
        """The kept lines newer than sequence number ``after``, oldest first."""
        lock = self.lock
        assert lock is not None  # Handler.__init__ made it
        with lock:
            return [line for line in self._lines if line.seq > after]

    @property
    def last_seq(self) -> int:
        return self._seq

    def to_json(self, after: int = 0) -> dict[str, Any]:
        """GET /logs: ``dropped`` counts lines after ``after`` that fell off the ring."""
        kept = self.lines(after)
        first = kept[0].seq if kept else self._seq + 1
        return {
            "limit": self.capacity,
            "last_seq": self._seq,
            "dropped": max(0, first - after - 1),
            "lines": [line.to_json() for line in kept],
        }

    def attach(self, logger: logging.Logger | None = None) -> None:
        """Start receiving the records of ``logger`` (default: the root logger)."""
        self.detach()
        self._logger = logger or logging.getLogger()
        self._logger.addHandler(self)

    def detach(self) -> None:
        if self._logger is not None:
            self._logger.removeHandler(self)
            self._logger = None
