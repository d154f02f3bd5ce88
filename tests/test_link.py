"""A worker's link to its master (ipc/link.py) against a real ZeroMQ ROUTER on 127.0.0.1:
the master hanging up is seen at once, silence makes it reconnect under a new identity,
a rejoin resends exactly the reports the master has not acknowledged, and it gives up
after --master-timeout. Every wait is bounded; intervals are tenths of a second.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import gevent
import pytest
import zmq.green as zmq

from fastswarm.ipc import wire
from fastswarm.ipc.link import CutOff, GaveUp, MasterGone, MasterLink
from fastswarm.ipc.messages import PROTOCOL_VERSION, Ack, Heartbeat, Hello, Message, StatsReport, Welcome
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, IntervalStats

HELLO = Hello(PROTOCOL_VERSION, 1, "box", "", "", "box-1-abc")


class FakeMaster:
    """A ROUTER on 127.0.0.1 that the test drives by hand."""

    def __init__(self, port: int) -> None:
        self.context = zmq.Context()
        self.port = port
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.bind(f"tcp://127.0.0.1:{port}")

    def recv(self, timeout_s: float = 5.0) -> tuple[bytes, Message]:
        assert self.socket.poll(int(timeout_s * 1000)), "the master got nothing"
        identity, *frames = self.socket.recv_multipart()
        return identity, wire.decode(frames)

    def recv_kind(self, kind: type, timeout_s: float = 5.0) -> tuple[bytes, Message]:
        """The next message of ``kind`` (heartbeats and others in between are skipped)."""
        deadline = time.monotonic() + timeout_s
        while True:
            identity, message = self.recv(max(0.01, deadline - time.monotonic()))
            if isinstance(message, kind):
                return identity, message

    def send(self, identity: bytes, message: Message) -> None:
        self.socket.send_multipart([identity, *wire.encode(message)])

    def close(self) -> None:
        self.socket.close(linger=0)
        self.context.term()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def master(port: int) -> Iterator[FakeMaster]:
    fake = FakeMaster(port)
    yield fake
    if not fake.socket.closed:
        fake.close()


def _welcome(rejoined: bool = False) -> Welcome:
    return Welcome(0, 1, {}, 0.1, 0.6, rejoined)


def _joined(master: FakeMaster, port: int, master_timeout: float = 5.0) -> MasterLink:
    link = MasterLink(f"tcp://127.0.0.1:{port}", HELLO, master_timeout)
    link.open()
    joining = gevent.spawn(link.join, 5.0)
    identity, hello = master.recv()
    assert identity == b"box-1-abc" and hello == HELLO
    master.send(identity, _welcome())
    assert isinstance(joining.get(timeout=5), Welcome)
    assert link.heartbeat_interval == 0.1 and link.heartbeat_timeout == 0.6
    return link


def _interval() -> IntervalStats:
    histogram = LatencyHistogram()
    histogram.record(1000)
    now = time.time()
    return IntervalStats(now - 1, now, (EntryStats("GET", "/", 1, 0, 0, histogram.to_bytes()),))


class Driver:
    """Calls ``link.recv`` in a greenlet, as the worker's serve loop does, keeping what it returns."""

    def __init__(self, link: MasterLink) -> None:
        self.link = link
        self.items: list[object] = []
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            item = self.link.recv(0.05)
            if item is not None:
                self.items.append(item)
            gevent.sleep(0)

    def wait_for(self, want: type, timeout_s: float = 5.0) -> object:
        """The first item of type ``want`` (taken out of ``items``); bounded."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for item in self.items:
                if isinstance(item, want):
                    self.items.remove(item)
                    return item
            gevent.sleep(0.02)
        raise AssertionError(f"no {want.__name__} within {timeout_s} s; got {self.items}")

    def stop(self) -> None:
        self._greenlet.kill()
        self.link.close()


def test_reports_are_kept_until_acked_and_resent_once_on_a_rejoin(master: FakeMaster, port: int) -> None:
    link = _joined(master, port)
    driver = Driver(link)
    for _ in range(3):
        link.send(StatsReport(_interval(), 1, {}))
    seqs = [master.recv_kind(StatsReport)[1].seq for _ in range(3)]  # type: ignore[attr-defined]
    assert seqs == [1, 2, 3]
    master.send(b"box-1-abc", Ack(1))
    gevent.sleep(0.1)
    assert [r.seq for r in link.backlog] == [2, 3] and link.deliverable

    # The master goes quiet (a partition): after 3 heartbeat intervals the link says Hello
    # again on a new connection, and holds new reports back until it is answered.
    started = time.monotonic()
    identity, hello = master.recv_kind(Hello, timeout_s=3.0)
    assert identity == b"box-1-abc~1" and hello == HELLO and time.monotonic() - started < 2.0
    assert not link.deliverable
    link.send(StatsReport(_interval(), 1, {}))  # seq 4: held, not sent on the new connection yet
    master.send(identity, _welcome(rejoined=True))
    assert isinstance(driver.wait_for(Welcome), Welcome)
    resent = [master.recv_kind(StatsReport)[1].seq for _ in range(3)]  # type: ignore[attr-defined]
    assert resent == [2, 3, 4]  # each unacknowledged report once, in order, on the new connection
    master.send(identity, Ack(4))
    gevent.sleep(0.1)
    assert not link.backlog and link.reconnects == 1
    driver.stop()


def test_a_new_master_s_welcome_drops_the_old_test_s_reports(master: FakeMaster, port: int) -> None:
    link = _joined(master, port)
    driver = Driver(link)
    link.send(StatsReport(_interval(), 1, {}))
    master.recv_kind(StatsReport)
    identity, _ = master.recv_kind(Hello, timeout_s=3.0)  # silence: it reconnects
    master.send(identity, _welcome(rejoined=False))
    assert isinstance(driver.wait_for(Welcome), Welcome)
    assert not link.backlog
    link.send(StatsReport(_interval(), 1, {}))
    assert master.recv_kind(StatsReport)[1].seq == 1  # type: ignore[attr-defined]
    driver.stop()


def test_a_master_that_hangs_up_is_seen_at_once_then_given_up_on(master: FakeMaster, port: int) -> None:
    link = _joined(master, port, master_timeout=1.0)
    driver = Driver(link)
    master.send(b"box-1-abc", Heartbeat())
    gevent.sleep(0.1)
    master.close()
    closed = time.monotonic()
    driver.wait_for(MasterGone, timeout_s=2.0)
    gone_after = time.monotonic() - closed
    assert gone_after < 1.0, gone_after  # the socket monitor, not a heartbeat timeout
    assert not link.deliverable
    reason = driver.wait_for(GaveUp, timeout_s=3.0)
    assert isinstance(reason, GaveUp) and "hung up" in reason.reason
    assert time.monotonic() - closed < 2.5
    driver.stop()


def test_a_restarted_master_takes_the_worker_as_new(master: FakeMaster, port: int) -> None:
    link = _joined(master, port)
    driver = Driver(link)
    master.close()
    driver.wait_for(MasterGone, timeout_s=2.0)
    again = FakeMaster(port)
    try:
        identity, hello = again.recv_kind(Hello, timeout_s=5.0)
        assert hello.worker_id == "box-1-abc"  # type: ignore[attr-defined]
        again.send(identity, _welcome(rejoined=False))
        assert isinstance(driver.wait_for(Welcome), Welcome) and link.deliverable
    finally:
        driver.stop()
        again.close()


def test_silence_past_the_heartbeat_timeout_is_a_cut_off_then_give_up(master: FakeMaster, port: int) -> None:
    link = _joined(master, port, master_timeout=1.5)
    started = time.monotonic()
    driver = Driver(link)
    event = driver.wait_for(CutOff, timeout_s=3.0)
    assert isinstance(event, CutOff) and 0.6 <= event.silent_s < 1.2
    driver.wait_for(GaveUp, timeout_s=3.0)
    assert 1.5 <= time.monotonic() - started < 3.0
    driver.stop()


def test_on_ipc_a_master_that_hangs_up_is_given_up_on_at_once(tmp_path: object) -> None:
    address = f"ipc://{tmp_path}/master.sock"
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.bind(address)
    link = MasterLink(address, HELLO, master_timeout=30.0)
    link.open()
    joining = gevent.spawn(link.join, 5.0)
    assert router.poll(5000)
    identity, *_ = router.recv_multipart()
    router.send_multipart([identity, *wire.encode(_welcome())])
    assert isinstance(joining.get(timeout=5), Welcome)
    driver = Driver(link)
    try:
        router.close(linger=0)
        driver.wait_for(MasterGone, timeout_s=2.0)
        driver.wait_for(GaveUp, timeout_s=1.0)  # a local master cannot come back
    finally:
        driver.stop()
        context.term()
