"""ZeroMQ sockets for the protocol: a ROUTER on the master, a DEALER on each worker.

Contexts are made lazily, in the process that uses them and after any fork, as ZeroMQ
requires; ``zmq.green`` makes every blocking call yield to gevent.
"""

from __future__ import annotations

import zmq.green as zmq

from fastswarm.exceptions import ProtocolError
from fastswarm.ipc import wire
from fastswarm.ipc.messages import Message

_LINGER_MS = 1000


class MasterChannel:
    """The master's end: one ROUTER that every worker connects to."""

    def __init__(self, bind_address: str) -> None:
        self.bind_address = bind_address
        self._context: zmq.Context | None = None
        self._socket: zmq.Socket | None = None

    def start(self) -> None:
        """Create the context and bind; call in the master after workers are forked."""
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, _LINGER_MS)
        self._socket.setsockopt(zmq.ROUTER_MANDATORY, 1)
        try:
            self._socket.bind(self.bind_address)
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
        """The next message from any worker, with the worker's identity (blocks the greenlet)."""
        assert self._socket is not None, "start() first"
        identity, *frames = self._socket.recv_multipart()
        return identity, wire.decode(frames)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._context is not None:
            self._context.term()
        self._socket = self._context = None


class WorkerChannel:
    """A worker's end: one DEALER connected to the master."""

    def __init__(self, connect_address: str, identity: bytes) -> None:
        self.connect_address = connect_address
        self.identity = identity
        self._context: zmq.Context | None = None
        self._socket: zmq.Socket | None = None

    def start(self) -> None:
        """Create the context and connect; call in the worker process, after fork."""
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.IDENTITY, self.identity)
        self._socket.setsockopt(zmq.LINGER, _LINGER_MS)
        self._socket.connect(self.connect_address)

    def send(self, message: Message) -> None:
        assert self._socket is not None, "start() first"
        self._socket.send_multipart(wire.encode(message))

    def recv(self, timeout_s: float | None = None) -> Message | None:
        """The next message from the master, or None when ``timeout_s`` passes first."""
        assert self._socket is not None, "start() first"
        if timeout_s is not None and not self._socket.poll(int(timeout_s * 1000)):
            return None
        return wire.decode(self._socket.recv_multipart())

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._context is not None:
            self._context.term()
        self._socket = self._context = None
