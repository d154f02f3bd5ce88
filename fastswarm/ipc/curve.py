"""CURVE on the protocol's tcp:// sockets: the socket options, the master's ZAP gate, and
watching handshakes so a refusal is said in words on both sides.

With keys, the master's ROUTER is a CURVE server: libzmq encrypts every frame and, before
a connection reaches the ROUTER, asks the ZAP handler on ``inproc://zeromq.zap.01`` whether
the client's public key may join. ``ZapGate`` is that handler: pyzmq's own
``zmq.auth.Authenticator`` (its ZAP parsing and replies) with a key callback, served by one
greenlet on a ``zmq.green`` REP socket. pyzmq's ``ThreadAuthenticator`` is not used:
under gevent's patching its thread is a greenlet running a nested asyncio loop (it does
admit keys and leaves the hub free, tried with pyzmq 27.3), but its key callback sees only
the domain and the key, while the gate reads each ZAP request itself and so knows the
peer's address to log. The gate is bound before the ROUTER, so no handshake can pass
unasked; if it ever stops answering, handshakes stall: it fails closed.

A refusal at the ZAP layer is logged on the master with the peer's address. A handshake
that fails before ZAP (a worker without keys, or without this master's public key) is seen
only by the socket monitor, which knows no peer address, so it is logged without one.
Both are rate-limited per peer: a misconfigured worker retries the handshake.
"""

from __future__ import annotations

import inspect
import logging
import struct
import time
from collections.abc import Callable

import gevent
import zmq.green as zmq
from zmq.auth.base import Authenticator

from fastswarm.ipc.keys import MasterKeys, WorkerKeys
from fastswarm.ipc.monitor import SocketMonitor

log = logging.getLogger(__name__)

ZAP_DOMAIN = "fastswarm"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"
_LOG_EVERY_S = 10.0
_GIVE_UP_AFTER = 5  # failed handshakes in a row: a peer that answers but never agrees is misconfigured
_WATCHED = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
HANDSHAKE_EVENTS = _WATCHED
_MISMATCH = int(zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
# A mechanism mismatch, and a handshake the other side hung up on (often that same mismatch,
# seen by the side that did not notice it first), in words for each side: (master?, keys?).
_CUT_WORDS = {
    (True, True): "a peer hung up during the handshake (a worker without keys, or without this master.key)",
    (True, False): "a peer hung up during the handshake (perhaps a worker with keys; this master has none)",
    (False, True): "the master hung up during the handshake (a wrong master.key, or a master "
    "running without --curve-dir)",
    (False, False): "the master hung up during the handshake (if it requires CURVE keys, give this "
    "worker --curve-dir)",
}
_MISMATCH_WORDS = {
    (True, True): "a worker without CURVE keys tried to join (it needs --curve-dir)",
    (True, False): "a worker with CURVE keys tried to join a master without --curve-dir",
    (False, True): "the master has no CURVE keys (it runs without --curve-dir)",
    (False, False): "the master requires CURVE keys (give this worker --curve-dir)",
}
_PROTOCOL_ERRORS: dict[int, str] = {
    int(zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC): "CURVE decryption failed: the worker does not hold "
    "this master's public key (master.key)",
}

SocketOptions = list[tuple[int, "int | bytes"]]


def server_options(keys: MasterKeys) -> SocketOptions:
    """The ROUTER's options: a CURVE server that asks ZAP domain ``fastswarm`` about each client."""
    return [
        (zmq.CURVE_SERVER, 1),
        (zmq.CURVE_SECRETKEY, keys.secret),
        (zmq.CURVE_PUBLICKEY, keys.public),
        (zmq.ZAP_DOMAIN, ZAP_DOMAIN.encode()),
    ]


def client_options(keys: WorkerKeys) -> SocketOptions:
    """A DEALER's options: a CURVE client that only completes a handshake with the real master."""
    return [
        (zmq.CURVE_SERVERKEY, keys.master),
        (zmq.CURVE_PUBLICKEY, keys.public),
        (zmq.CURVE_SECRETKEY, keys.secret),
    ]


def guard_master(
    socket: zmq.Socket[bytes], address: str, keys: MasterKeys | None
) -> list[ZapGate | HandshakeWatch]:
    """Start the master's guards: with keys the ZAP gate (call before the ROUTER binds); on
    tcp:// a watch that logs failed handshakes. The caller stops them before closing."""
    guards: list[ZapGate | HandshakeWatch] = []
    if keys is not None:
        guards.append(ZapGate(socket.context, keys))
    if address.startswith("tcp://"):
        failures = RateLimitedLog()
        guards.append(
            HandshakeWatch(
                socket,
                lambda words: failures.warn(
                    words, f"a connection failed the handshake (peer address not known here): {words}"
                ),
                master=True,
                has_keys=keys is not None,
            )
        )
    for guard in guards:
        guard.start()
    return guards


def watch_worker(
    socket: zmq.Socket[bytes], address: str, keys: WorkerKeys | None, monitor: SocketMonitor | None = None
) -> HandshakeWatch | None:
    """On tcp://, a started watch of a worker's handshakes with the master (None on ipc://);
    given ``monitor`` (the socket's, which the channel also reads), it listens there."""
    if not address.startswith("tcp://"):
        return None
    failures = RateLimitedLog()
    watch = HandshakeWatch(
        socket,
        lambda words: failures.warn(words, f"handshake with {address} failed: {words}"),
        master=False,
        has_keys=keys is not None,
    )
    if monitor is not None:
        watch.listen(monitor)
    else:
        watch.start()
    return watch


class RateLimitedLog:
    """At most one warning per key every ``every_s``; the lines skipped are counted in the next."""

    def __init__(self, every_s: float = _LOG_EVERY_S) -> None:
        self.every_s = every_s
        self._last: dict[object, tuple[float, int]] = {}

    def warn(self, key: object, message: str) -> None:
        now = time.monotonic()
        last, skipped = self._last.get(key, (float("-inf"), 0))
        if now - last < self.every_s:
            self._last[key] = (last, skipped + 1)
            return
        more = f" ({skipped} more like it since the last report)" if skipped else ""
        log.warning("%s%s", message, more)
        self._last[key] = (now, 0)


class ZapGate:
    """The master's ZAP handler: admits only the worker public keys in ``keys.workers``."""

    def __init__(self, context: zmq.Context[zmq.Socket[bytes]], keys: MasterKeys) -> None:
        self.keys = keys
        self.refused = 0
        self._context = context
        self._auth: Authenticator | None = None
        self._greenlet: gevent.Greenlet | None = None
        self._peer = "?"
        self._log = RateLimitedLog()

    def start(self) -> None:
        """Bind the ZAP endpoint (before the ROUTER binds) and serve it in a greenlet."""
        auth = self._auth = Authenticator(self._context, log=log)
        auth.configure_curve_callback(ZAP_DOMAIN, credentials_provider=self)
        auth.zap_socket = self._context.socket(zmq.REP)  # green, unlike Authenticator.start()'s
        auth.zap_socket.linger = 1
        auth.zap_socket.bind(ZAP_ENDPOINT)
        self._greenlet = gevent.spawn(self._serve, auth)

    def callback(self, domain: str, key: bytes) -> bool:
        """zmq.auth's question for each handshake: may this z85 public key join?"""
        if key in self.keys.workers:
            return True
        self.refused += 1
        self._log.warn(
            ("zap", self._peer, key),
            f"refused a worker from {self._peer}: its CURVE public key {key.decode(errors='replace')} "
            f"is not one of the worker keys in {self.keys.source}",
        )
        return False

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        if self._auth is not None and self._auth.zap_socket is not None:
            self._auth.zap_socket.close(linger=0)
        self._greenlet = self._auth = None

    def _serve(self, auth: Authenticator) -> None:
        while True:
            request = auth.zap_socket.recv_multipart()
            # ZAP request frames: version, request id, domain, address, identity, mechanism, ...
            self._peer = request[3].decode(errors="replace") if len(request) > 3 else "?"
            try:
                _finish_now(auth.handle_zap_message(request))
            except Exception:  # noqa: BLE001 - keep serving; an unanswered request fails closed
                log.exception("the CURVE gate could not answer a handshake from %s", self._peer)


def _finish_now(result: object) -> None:
    """Run zmq.auth's handler to its end: a coroutine in pyzmq >= 25, plain before.

    Our key callback is synchronous, so the coroutine never waits on anything; if a future
    pyzmq made it wait, the request is left unanswered (the handshake fails closed).
    """
    if not inspect.iscoroutine(result):
        return
    try:
        result.send(None)
    except StopIteration:
        return
    result.close()
    raise RuntimeError("zmq.auth's ZAP handler waited on I/O, which this greenlet cannot drive")


class HandshakeWatch:
    """Reads a socket's monitor events in a greenlet and says handshake failures in words.

    ``refusal`` is set when the other side refused for good: a ZAP 400, one side without
    keys, or five failed handshakes in a row (a reachable peer that never agrees, e.g. a
    wrong master.key; a network outage fails the TCP connect, not the handshake).
    ``last_failure`` is the latest failure of any kind. ``on_failure(words)`` is called for
    each failure that ZAP did not already report.
    """

    def __init__(
        self,
        socket: zmq.Socket[bytes],
        on_failure: Callable[[str], None] | None = None,
        *,
        master: bool,
        has_keys: bool,
    ) -> None:
        self.refusal: str | None = None
        self.mismatch = _MISMATCH_WORDS[(master, has_keys)]
        self.cut = _CUT_WORDS[(master, has_keys)]
        self.last_failure: str | None = None
        self.failures_in_a_row = 0
        self._socket = socket
        self._on_failure = on_failure
        self._monitor: zmq.Socket[bytes] | None = None
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self._monitor = self._socket.get_monitor_socket(_WATCHED)
        self._greenlet = gevent.spawn(self._read, self._monitor)

    def listen(self, monitor: SocketMonitor) -> None:
        """Take the handshake events of a monitor someone else owns (libzmq has one per socket)."""
        monitor.add_listener(lambda event, value: self._event(event, value) if event & _WATCHED else None)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        if self._monitor is not None:
            self._socket.disable_monitor()
            self._monitor.close(linger=0)
        self._greenlet = self._monitor = None

    def poll(self, timeout_s: float, slice_s: float = 0.25) -> bool:
        """Whether a message came within ``timeout_s``; False at once when ``refusal`` is set."""
        deadline = time.monotonic() + timeout_s
        while self.refusal is None:
            left = deadline - time.monotonic()
            if self._socket.poll(max(0, int(min(left, slice_s) * 1000))):
                return True
            if left <= slice_s:
                return False
        return False

    def _read(self, monitor: zmq.Socket[bytes]) -> None:
        while True:
            try:
                frames = monitor.recv_multipart()
            except zmq.ZMQError:  # the monitor was closed (stop(), or the worker is exiting)
                return
            if len(frames) != 2 or len(frames[0]) != 6:
                continue
            event, value = struct.unpack("=Hi", frames[0])
            self._event(event, value)

    def _event(self, event: int, value: int) -> None:
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.refusal = self.last_failure = None
            self.failures_in_a_row = 0
            return
        self.failures_in_a_row += 1
        if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            words = f"the master's CURVE gate refused this worker's key (ZAP status {value})"
            self.refusal = self.last_failure = words
            return  # the master logs these itself, with the peer address
        if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            words = _PROTOCOL_ERRORS.get(value, f"ZMTP protocol error 0x{value:x}")
            if value == _MISMATCH:
                words = self.refusal = self.mismatch
        else:
            words = self.cut
        if self.refusal is None and self.failures_in_a_row >= _GIVE_UP_AFTER:
            self.refusal = f"{words}; {self.failures_in_a_row} failed handshakes in a row"
        self.last_failure = words
        if self._on_failure is not None:
            self._on_failure(words)
