"""Deadlines for in-flight exchanges, checked a few times a second by one greenlet per process.

Arming a timer around every request costs more than the rest of FastHttpUser's Python work
per request: gevent's per-socket timeout builds a ``Timeout`` and a libev timer for every
blocking read (~5 µs), and even one reused raw timer, started and stopped per exchange, is
~1-2 µs. Instead each exchange writes its deadline into a dict; a watchdog greenlet, running
while exchanges are in flight (it ends after two idle periods), wakes every ``PERIOD`` seconds
and throws ``Expired`` into the greenlet of any exchange past its deadline. A timeout therefore
fires between its value and its value + ``PERIOD``: precise enough for network timeouts.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from gevent import getcurrent

PERIOD = 0.1
_clock = time.perf_counter  # one global lookup on every exchange instead of two


class Expired(Exception):
    """Thrown into a greenlet whose exchange passed its deadline."""


class Deadlines:
    """The process's in-flight exchanges: owner -> (deadline on perf_counter, greenlet, ticket).

    An owner (a connection) has one exchange in flight at a time and keeps the ticket ``arm``
    gave it in its ``ticket`` attribute until the exchange ends (then 0), so a late expiry can
    tell that exchange from the owner's next one.
    """

    def __init__(self) -> None:
        self._inflight: dict[Any, tuple[float, Any, int]] = {}
        self._watchdog: gevent.Greenlet | None = None
        self._tickets = 0

    def arm(self, owner: Any, seconds: float) -> int:
        """Expire ``owner``'s exchange (in the calling greenlet) after ``seconds``; its ticket."""
        ticket = self._tickets = self._tickets + 1
        self._inflight[owner] = (_clock() + seconds, getcurrent(), ticket)
        if self._watchdog is None:
            self._watchdog = gevent.spawn(self._watch)
        return ticket

    def disarm(self, owner: Any) -> None:
        self._inflight.pop(owner, None)

    def _watch(self) -> None:
        hub = gevent.get_hub()
        idle = 0
        try:
            while idle < 2:  # lingers a little, so quick exchanges do not respawn it each time
                gevent.sleep(PERIOD)
                if not self._inflight:
                    idle += 1
                    continue
                idle = 0
                now = time.perf_counter()
                late = [(owner, v) for owner, v in self._inflight.items() if v[0] <= now]
                for owner, (_, glet, ticket) in late:
                    del self._inflight[owner]
                    # Thrown from the hub, as gevent's own kill does; checked again there, in
                    # case the exchange finished between this scan and that callback.
                    hub.loop.run_callback(self._expire, owner, glet, ticket)
        finally:
            self._watchdog = None

    @staticmethod
    def _expire(owner: Any, glet: Any, ticket: int) -> None:
        if owner.ticket == ticket and not glet.dead:
            glet.throw(Expired)


_deadlines: Deadlines | None = None


def deadlines() -> Deadlines:
    """The process's ``Deadlines``, made on first use (importing this module does nothing)."""
    global _deadlines
    if _deadlines is None:
        _deadlines = Deadlines()
    return _deadlines
