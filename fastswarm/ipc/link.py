"""A worker's link to its master: joining, noticing the master is gone, reconnecting, and
delivering every stats report exactly once.

Three things can happen to the master, and each looks different from here:

- **It died** (or closed its socket): its kernel hangs up the connection, the socket monitor
  says so at once (``WorkerChannel.peer_closed``) and ``recv`` returns ``MasterGone``; the
  worker stops its users. On tcp:// the link keeps trying to reach a master at the same
  address for ``--master-timeout`` (a restarted master takes it as a new worker), then
  ``GaveUp``; on ipc:// (a local run) the master cannot come back, so it gives up at once.
- **The network between them is cut**: no hang-up, only silence. Silent for three heartbeat
  intervals (or half the heartbeat timeout, if sooner), the link opens a fresh connection (a
  new socket, and a new ZeroMQ identity so the master's ROUTER never sees two connections
  with one name) and says ``Hello`` again with the same ``worker_id``; TCP on the old one
  would only retry on a doubling backoff, so this is what brings the worker back within
  about a second of the network healing.
  Silent past the master's heartbeat timeout, ``recv`` returns ``CutOff`` once: the master
  has given this worker's users to others, so the worker stops them. Silent for
  ``--master-timeout``, ``GaveUp``.
- **It answers a Hello on a new connection** with ``Welcome``: ``rejoined`` when it took the
  worker back into the test it was in, else the worker starts afresh.

Stats reports carry ``seq`` 1, 2, 3...; each stays in ``backlog`` until the master's ``Ack``
covers it. On a rejoin the reports not yet sent on the new connection are sent again, and
the master merges each number once, in order; so nothing recorded before or during a
partition is lost, and nothing is counted twice. While the link is not ``deliverable``
the worker keeps recording into one interval instead of making more reports, so the backlog
stays a few reports long however long the partition lasts.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastswarm.ipc.channel import WorkerChannel
from fastswarm.ipc.keys import WorkerKeys
from fastswarm.ipc.messages import Ack, Hello, Message, StatsReport, Welcome
from fastswarm.ipc.peer_log import ThrottledLog

log = logging.getLogger(__name__)

RECONNECT_AFTER_BEATS = 3  # silent for this many master heartbeat intervals: reconnect
MIN_RECONNECT_S = 0.5


@dataclass(frozen=True, slots=True)
class MasterGone:
    """The master's end hung up: its process is gone, or it closed the socket."""


@dataclass(frozen=True, slots=True)
class CutOff:
    """No word from the master for longer than its heartbeat timeout: it has given this
    worker's users to the others, so the worker stops them (it keeps trying to rejoin)."""

    silent_s: float


@dataclass(frozen=True, slots=True)
class GaveUp:
    """No master for ``--master-timeout``: the worker exits."""

    reason: str


LinkEvent = MasterGone | CutOff | GaveUp


class MasterLink:
    """The worker's connection to the master, across reconnects; ``WorkerRunner`` uses only
    ``send``, ``recv``, ``identity`` and ``deliverable``."""

    def __init__(
        self,
        address: str,
        hello: Hello,
        master_timeout: float,
        max_message_bytes: int | None = None,
        keys: WorkerKeys | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``keys``: CURVE on tcp:// (every connection it makes uses them)."""
        self.address = address
        self.keys = keys
        self.hello = hello
        self.master_timeout = master_timeout
        self.max_message_bytes = max_message_bytes
        self.can_retry = not address.startswith("ipc://")  # a local master cannot come back
        self.heartbeat_interval = 1.0  # the master's, from its Welcome
        self.heartbeat_timeout = 10.0
        self.backlog: deque[StatsReport] = deque()  # sent, not yet acknowledged, in seq order
        self.reconnects = 0
        self._clock = clock
        self._channel: WorkerChannel | None = None
        self._connection = 0  # how many connections this worker has opened, minus one
        self._next_seq = 1
        self._sent_on: dict[int, int] = {}  # seq -> the connection it was last sent on
        self._last_heard = clock()
        self._last_connect = clock()
        self._awaiting_welcome = False
        self._gone_since: float | None = None  # when the master hung up
        self._cut_off_told = False
        self._log = ThrottledLog(log)  # one "reconnecting" line per 10 s, however often it tries

    @property
    def identity(self) -> bytes:
        """This connection's ZeroMQ identity: the worker id, then ``~N`` for the Nth reconnect."""
        suffix = f"~{self._connection}" if self._connection else ""
        return (self.hello.worker_id + suffix).encode()

    @property
    def handshake_failure(self) -> str | None:
        """Why the master refused this worker's CURVE handshake, if it did (tcp:// with keys)."""
        return self._channel.handshake_failure if self._channel is not None else None

    @property
    def deliverable(self) -> bool:
        """Whether a stats report made now would reach the master without waiting."""
        if self._awaiting_welcome or self._gone_since is not None:
            return False
        return self._clock() - self._last_heard < self._reconnect_after()

    # -- connecting --
    def open(self) -> None:
        """Connect (the first connection); ``join`` then says Hello."""
        self._channel = WorkerChannel(self.address, self.identity, self.keys, self.max_message_bytes)
        self._channel.start()
        self._last_connect = self._last_heard = self._clock()

    def join(self, timeout_s: float) -> Message | None:
        """Say Hello and wait up to ``timeout_s`` for the answer (None: no answer)."""
        channel = self._require()
        channel.send(self.hello)
        reply = channel.recv(timeout_s=timeout_s)
        if reply is not None:
            self._last_heard = self._clock()
        if isinstance(reply, Welcome):
            self._welcomed(reply)
        return reply

    def _reconnect(self) -> None:
        """A fresh socket and identity; Hello on it. What the old one still held is dropped
        (its stats reports stay in the backlog and are sent again after the Welcome)."""
        if self._channel is not None:
            self._channel.close(linger_ms=0)
        self._connection += 1
        self.reconnects += 1
        self._channel = WorkerChannel(self.address, self.identity, self.keys, self.max_message_bytes)
        self._channel.start()
        self._channel.send(self.hello)
        self._awaiting_welcome = True
        self._last_connect = self._clock()

    def close(self) -> None:
        """Close; with no master to deliver to, drop what is queued instead of lingering."""
        if self._channel is not None:
            no_master = self._gone_since is not None or self._awaiting_welcome
            self._channel.close(linger_ms=0 if no_master else None)
            self._channel = None

    def _require(self) -> WorkerChannel:
        assert self._channel is not None, "open() first"
        return self._channel

    # -- sending --
    def send(self, message: Message) -> None:
        """Send to the master; a StatsReport is numbered, kept until acknowledged, and held
        back while a rejoin is not yet answered."""
        if isinstance(message, StatsReport):
            self._send_report(message)
            return
        self._require().send(message)

    def _send_report(self, report: StatsReport) -> None:
        report = dataclasses.replace(report, seq=self._next_seq)
        self._next_seq += 1
        self.backlog.append(report)
        if not self._awaiting_welcome and self._gone_since is None:
            self._require().send(report)
            self._sent_on[report.seq] = self._connection

    # -- receiving --
    def recv(self, timeout_s: float) -> Message | LinkEvent | None:
        """The master's next message, or an event of the link, or None after ``timeout_s``."""
        channel = self._require()
        message = None
        if not channel.peer_closed:
            event = self._check()
            if event is not None:
                return event
            message = channel.recv(timeout_s=timeout_s)
        if message is None and channel.peer_closed:
            message = channel.recv(timeout_s=0.0)  # what a hung-up master sent last (Quit) comes first
        if message is None:
            return self._check()
        self._last_heard = self._clock()
        self._cut_off_told = False
        if isinstance(message, Ack):
            self._acked(message.seq)
            return None
        if isinstance(message, Welcome):
            self._welcomed(message)
        return message

    def _check(self) -> LinkEvent | None:
        now = self._clock()
        channel = self._require()
        if self._gone_since is None and channel.peer_closed:
            self._gone_since = now
            if self.can_retry:
                self._reconnect()
            return MasterGone()
        if self._gone_since is not None:
            waited = now - self._gone_since
            if not self.can_retry or waited > self.master_timeout:
                return GaveUp(f"the master hung up and none answered at {self.address} for {waited:.1f} s")
            if channel.peer_closed or now - self._last_connect > max(2.0, self._reconnect_after()):
                self._reconnect()
            return None
        silent = now - self._last_heard
        if silent > self.master_timeout:
            return GaveUp(f"no word from the master for {silent:.1f} s (--master-timeout)")
        if silent > self.heartbeat_timeout and not self._cut_off_told:
            self._cut_off_told = True
            return CutOff(silent)
        if silent > self._reconnect_after() and now - self._last_connect > self._reconnect_after():
            text = "worker %s: no word from the master for %.1f s; reconnecting"
            self._log.log(logging.WARNING, "reconnect", text, self.hello.worker_id, silent)
            self._reconnect()
        return None

    def _reconnect_after(self) -> float:
        """Silence before a new connection: 3 beats, but well before the master gives up on us."""
        beats = RECONNECT_AFTER_BEATS * self.heartbeat_interval
        return max(MIN_RECONNECT_S, min(beats, self.heartbeat_timeout / 2))

    def _welcomed(self, welcome: Welcome) -> None:
        """Take the master's heartbeat settings; on a rejoin send what it has not merged,
        else forget the old test's reports and number afresh."""
        self.heartbeat_interval = welcome.heartbeat_interval
        self.heartbeat_timeout = welcome.heartbeat_timeout
        self._awaiting_welcome = False
        self._gone_since = None
        if welcome.rejoined:
            channel = self._require()
            for report in self.backlog:
                if self._sent_on.get(report.seq) != self._connection:
                    channel.send(report)
                    self._sent_on[report.seq] = self._connection
            return
        self.backlog.clear()
        self._sent_on.clear()
        self._next_seq = 1

    def _acked(self, seq: int) -> None:
        while self.backlog and self.backlog[0].seq <= seq:
            self._sent_on.pop(self.backlog.popleft().seq, None)
