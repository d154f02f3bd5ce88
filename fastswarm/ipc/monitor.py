"""A ZeroMQ socket's monitor events, read in one greenlet and handed to listeners.

Why: a worker must notice at once that its master process is gone. When the master dies,
its kernel closes the TCP (or ipc://) connection and the worker's DEALER sees the peer
hang up, which libzmq reports only as a monitor event (``EVENT_DISCONNECTED``); messages
alone would show it a heartbeat timeout later. A partition sends no such event: packets
just stop, so silence is handled apart (``ipc/link.py``).

libzmq keeps one monitor per socket (a second ``zmq_socket_monitor`` call replaces the
first), so every reader of a socket's events listens here: ``add_listener(fn)`` with
``fn(event, value)``, event being a ``zmq.EVENT_*`` bit and value its number (an fd, an
errno, a ZAP status).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import gevent
import zmq.green as zmq
from zmq.utils.monitor import parse_monitor_message

log = logging.getLogger(__name__)

Listener = Callable[[int, int], None]


class SocketMonitor:
    """Reads ``socket``'s monitor events (those in the ``events`` mask) until ``stop()``."""

    def __init__(self, socket: zmq.Socket[bytes], events: int) -> None:
        self._socket = socket
        self._events = events
        self._listeners: list[Listener] = []
        self._monitor: zmq.Socket[bytes] | None = None
        self._greenlet: gevent.Greenlet | None = None

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        """Start monitoring; call before the socket connects, so no event is missed."""
        self._monitor = self._socket.get_monitor_socket(self._events)
        self._greenlet = gevent.spawn(self._read, self._monitor)

    def stop(self) -> None:
        """Stop reading and release the monitor; call before closing the socket."""
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        if self._monitor is not None:
            try:
                self._socket.disable_monitor()
            except zmq.ZMQError:  # the socket is already closed
                pass
            self._monitor.close(linger=0)
        self._greenlet = self._monitor = None

    def _read(self, monitor: zmq.Socket[bytes]) -> None:
        while True:
            try:
                event = parse_monitor_message(monitor.recv_multipart())
            except (zmq.ZMQError, ValueError, KeyError):  # closed, or a frame it cannot parse
                return
            if event["event"] == zmq.EVENT_MONITOR_STOPPED:
                return
            for listener in self._listeners:
                try:
                    listener(int(event["event"]), int(event["value"]))
                except Exception:  # noqa: BLE001 - one listener's bug must not blind the others
                    log.exception("a socket monitor listener failed")
