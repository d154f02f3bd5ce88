"""``runner.greenlet``: what library code joins to wait until a runner has quit.

Locust's runners keep their greenlets in a group that ``quit()`` kills, so
``runner.greenlet.join()`` returns once the runner quit. fastswarm's runners run their loops
elsewhere (the master's and a worker's in the process's main greenlet), so each one's
``greenlet`` is a greenlet of its own that ends when the runner quits: ``join()``, ``dead``
and ``kill()`` behave as Locust code expects. It is spawned on first use, not when the
runner is built.
"""

from __future__ import annotations

import gevent
from gevent.event import Event


class Lifetime:
    """Ends once: ``end()``; ``greenlet`` finishes then (at once if it already ended)."""

    def __init__(self) -> None:
        self._ended = Event()
        self._greenlet: gevent.Greenlet | None = None

    @property
    def greenlet(self) -> gevent.Greenlet:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._ended.wait)
        return self._greenlet

    @property
    def ended(self) -> bool:
        return bool(self._ended.is_set())

    def end(self) -> None:
        self._ended.set()
