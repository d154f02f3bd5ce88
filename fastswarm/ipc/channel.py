"""ZeroMQ sockets for the protocol: a ROUTER on the master, a DEALER on each worker.

Contexts are made lazily, in the process that uses them and after any fork, as ZeroMQ
requires; ``zmq.green`` makes every blocking call yield to gevent.

Given keys (``ipc/keys.py``), a tcp:// channel runs CURVE (``ipc/curve.py``): the ROUTER is
a CURVE server behind a ZAP gate, each DEALER a CURVE client; every tcp:// socket's
handshakes are watched so that a refusal is said in words. ipc:// channels are unchanged.
"""

from __future__ import annotations

import zmq.green as zmq

from fastswarm.exception import ProtocolError
from fastswarm.ipc import curve, wire
from fastswarm.ipc.keys import MasterKeys, WorkerKeys
from fastswarm.ipc.messages import Message
from fastswarm.ipc.monitor import SocketMonitor

_LINGER_MS = 1000
# A connect attempt that gets no answer (a partitioned network drops the SYN) is given up
# after this long and retried, so a worker reaches its master within about this long after
# the network heals instead of after TCP's doubling SYN backoff.
_CONNECT_TIMEOUT_MS = 1000


class _Endpoint:
    """One context and one socket, made by ``_open`` in the process that uses them."""

    def __init__(self) -> None:
        self._context: zmq.Context[zmq.Socket[bytes]] | None = None
        self._socket: zmq.Socket[bytes] | None = None
        self._guards: list[curve.ZapGate | curve.HandshakeWatch] = []  # stopped before the socket closes

    def _open(self, socket_type: int, options: list[tuple[int, int | bytes]]) -> zmq.Socket[bytes]:
        """Create the context and a socket of ``socket_type``, with ``options`` set in order."""
        self._context = zmq.Context()
        self._socket = self._context.socket(socket_type)
        for option, value in options:
            self._socket.setsockopt(option, value)
        return self._socket

    def close(self) -> None:
        for guard in self._guards:
            guard.stop()
        self._guards = []
        if self._socket is not None:
            self._socket.close()
        if self._context is not None:
            self._context.term()
        self._socket = self._context = None


def _size_limit(max_message_bytes: int | None) -> list[tuple[int, int | bytes]]:
    """ZMQ_MAXMSGSIZE: a peer that sends a bigger message is disconnected before it is read."""
    return [] if max_message_bytes is None else [(zmq.MAXMSGSIZE, max_message_bytes)]


class MasterChannel(_Endpoint):
    """The master's end: one ROUTER that every worker connects to."""

    def __init__(
        self, bind_address: str, keys: MasterKeys | None = None, max_message_bytes: int | None = None
    ) -> None:
        super().__init__()
        self.bind_address = bind_address
        self.keys = keys
        self.max_message_bytes = max_message_bytes

    def start(self) -> None:
        """Create the context and bind; call in the master after workers are forked."""
        security = curve.server_options(self.keys) if self.keys is not None else []
        options = [(zmq.LINGER, _LINGER_MS), (zmq.ROUTER_MANDATORY, 1), *_size_limit(self.max_message_bytes)]
        socket = self._open(zmq.ROUTER, [*options, *security])
        self._guards = curve.guard_master(socket, self.bind_address, self.keys)
        try:
            socket.bind(self.bind_address)
        except zmq.ZMQError as exc:
            raise ProtocolError(f"cannot bind {self.bind_address}: {exc}") from None

    def send(self, identity: bytes, message: Message) -> bool:
        """Send to one worker; False when that worker is no longer connected."""
        assert self._socket is not None, "start() first"
        try:
            self._socket.send_multipart([identity, *wire.encode(message)])
        except zmq.ZMQError:
            return False
        return True

    def recv(self) -> tuple[bytes, Message]:
        """The next message from any worker, with the worker's identity (blocks the greenlet);
        ``wire.BadMessage`` (with that identity) for one that does not decode."""
        assert self._socket is not None, "start() first"
        identity, *frames = self._socket.recv_multipart()
        try:
            return identity, wire.decode(frames)
        except ProtocolError as exc:
            raise wire.BadMessage(str(exc), identity) from None


class WorkerChannel(_Endpoint):
    """A worker's end: one DEALER connected to the master.

    ``peer_closed`` turns True when the master's end hangs up (its process died or closed
    the socket): the socket monitor's ``EVENT_DISCONNECTED``, seen within milliseconds. On
    tcp:// the same monitor feeds the CURVE handshake watch (libzmq has one per socket).
    ``linger_ms``: how long ``close`` may spend sending what is still queued.
    """

    def __init__(
        self,
        connect_address: str,
        identity: bytes,
        keys: WorkerKeys | None = None,
        max_message_bytes: int | None = None,
        linger_ms: int = _LINGER_MS,
    ) -> None:
        super().__init__()
        self.connect_address = connect_address
        self.identity = identity
        self.keys = keys
        self.max_message_bytes = max_message_bytes
        self.linger_ms = linger_ms
        self.peer_closed = False
        self.monitor: SocketMonitor | None = None
        self._watch: curve.HandshakeWatch | None = None

    def start(self) -> None:
        """Create the context and connect; call in the worker process, after fork."""
        security = curve.client_options(self.keys) if self.keys is not None else []
        options: list[tuple[int, int | bytes]] = [
            (zmq.IDENTITY, self.identity),
            (zmq.LINGER, self.linger_ms),
            (zmq.CONNECT_TIMEOUT, _CONNECT_TIMEOUT_MS),
        ]
        socket = self._open(zmq.DEALER, [*options, *_size_limit(self.max_message_bytes), *security])
        self.monitor = SocketMonitor(socket, zmq.EVENT_DISCONNECTED | curve.HANDSHAKE_EVENTS)
        self.monitor.add_listener(self._on_event)
        self._watch = curve.watch_worker(socket, self.connect_address, self.keys, self.monitor)
        self._guards = [self._watch] if self._watch is not None else []
        self.monitor.start()
        socket.connect(self.connect_address)

    def _on_event(self, event: int, value: int) -> None:
        if event == zmq.EVENT_DISCONNECTED:
            self.peer_closed = True

    def close(self, linger_ms: int | None = None) -> None:
        """Close; ``linger_ms=0`` drops what is still queued (a connection being replaced)."""
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor = None
        if linger_ms is not None and self._socket is not None:
            self._socket.setsockopt(zmq.LINGER, linger_ms)
        super().close()

    @property
    def handshake_failure(self) -> str | None:
        """Why the master refused this worker, else the last failed handshake, else None."""
        if self._watch is None:
            return None
        return self._watch.refusal or self._watch.last_failure

    def send(self, message: Message) -> None:
        assert self._socket is not None, "start() first"
        self._socket.send_multipart(wire.encode(message))

    def recv(self, timeout_s: float | None = None) -> Message | None:
        """The next message from the master, or None when ``timeout_s`` passes first."""
        assert self._socket is not None, "start() first"
        if timeout_s is not None:  # on tcp://, the watch gives up early once the master refused us
            ready = self._watch.poll(timeout_s) if self._watch else self._socket.poll(int(timeout_s * 1000))
            if not ready:
                return None
        return wire.decode(self._socket.recv_multipart())
