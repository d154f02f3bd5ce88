"""A rogue peer on the master's port cannot stop aggregation (issue 10 point 2).

A real run: ``fastswarm --master`` on 127.0.0.1 and ``fastswarm --worker --processes 1``
against the built-in target. While users run, a rogue pyzmq DEALER connected to the
master's tcp:// port sends every message type with each field of the wrong type, garbage
frames, a wrong version byte, an unknown type, valid messages before any Hello (the issue's
fake StatsReport of 1.2 M requests among them), a Hello with another tasks file, one with
another protocol, and last an oversized message. The tasks file's own custom message
handler raises on every message. The run must end normally, count the dropped messages,
log them at a bounded rate naming the peer, and report exactly the requests the target served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgpack
import zmq

from fastswarm import __version__
from fastswarm.ipc import wire
from fastswarm.ipc.messages import PROTOCOL_VERSION, Heartbeat, Hello, Rejected, StatsReport
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, IntervalStats
from tests.conftest import ROOT, Target
from tests.wire_cases import spoiled_messages

TASKS = """
from fastswarm import HttpUser, task, constant, events

@events.init.add_listener
def on_init(environment, **kw):
    if environment.role == "master":
        def boom(environment, msg, **kw):
            raise RuntimeError("boom from the tasks file's handler")
        environment.runner.register_message("boom", boom)

class Quick(HttpUser):
    wait_time = constant(0.02)

    @task
    def home(self):
        self.client.get("/")
        self.environment.runner.send_message("boom", {"n": 1})
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fastswarm(folder: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    """``fastswarm ARGS`` in ``folder``, its output to NAME.out / NAME.err (no pipe stalls)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fastswarm", *args],
        cwd=folder,
        stdout=(folder / f"{name}.out").open("wb"),
        stderr=(folder / f"{name}.err").open("wb"),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for_load(target: Target, master: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.served() > 20:
            return
        assert master.poll() is None, "the master ended before any load"
        time.sleep(0.1)
    raise AssertionError("no load reached the target")


def _rogue_frames(tasks_sha256: str) -> tuple[list[list[bytes]], list[list[bytes]]]:
    """(frames the master must drop and count, frames it must refuse or ignore uncounted)."""
    version = bytes([PROTOCOL_VERSION])
    h = LatencyHistogram()
    h.record(1000)
    now = time.time()
    fake = IntervalStats(now - 1, now, (EntryStats("GET", "/", 1_200_000, 0, 0, h.to_bytes()),))
    dropped = [frames for _, frames in spoiled_messages()]
    dropped += [
        [b"one frame only"],
        [b"three", b"frames", b"here"],
        [version + Heartbeat.TAG, b"\xc1 not msgpack"],
        [bytes([PROTOCOL_VERSION + 7]) + Heartbeat.TAG, msgpack.packb([1, 2.0, "running", 0.0])],
        [b"", b""],
        [version + b"nope", msgpack.packb([])],
        wire.encode(StatsReport(fake, 5, {})),  # well formed, but from a peer that never joined
        wire.encode(Heartbeat(1, 1.0, "running", 0.0)),
    ]
    refused = [
        wire.encode(Hello(PROTOCOL_VERSION, 4242, "rogue-box", "0" * 64, __version__)),  # another tasks file
        # another protocol in the Hello (late joiners are welcomed now: a full swarm refuses no one)
        wire.encode(Hello(PROTOCOL_VERSION + 1, 4242, "rogue-box", tasks_sha256, __version__)),
    ]
    return dropped, refused


def test_a_rogue_peer_cannot_stop_aggregation(tmp_path: Path, target: Target) -> None:
    tasks = tmp_path / "tasks.py"
    tasks.write_text(TASKS)
    target.reset()
    port = str(_free_port())
    limit = 1 << 20
    common = ("-f", "tasks.py", "--max-message-size", str(limit))
    master = _fastswarm(
        tmp_path, "master", *common, "-H", target.url, "--master", "--master-bind-host", "127.0.0.1",
        "--master-port", port, "--expect-workers", "1", "--headless", "--no-web", "-u", "4", "-r", "50",
        "-t", "6s", "--stop-timeout", "5", "--json", "report.json",
    )  # fmt: skip
    worker = _fastswarm(tmp_path, "worker", *common, "--worker", "--master-port", port, "--processes", "1")
    context = zmq.Context()
    rogue = context.socket(zmq.DEALER)
    rogue.setsockopt(zmq.IDENTITY, b"rogue")
    rogue.setsockopt(zmq.LINGER, 2000)
    try:
        _wait_for_load(target, master)
        rogue.connect(f"tcp://127.0.0.1:{port}")
        dropped, refused = _rogue_frames(hashlib.sha256(tasks.read_bytes()).hexdigest())
        rogue.send_multipart(refused[0])
        assert rogue.poll(10_000), "no answer to the rogue's Hello"
        answer = wire.decode(rogue.recv_multipart())
        assert isinstance(answer, Rejected) and "different tasks file" in answer.reason
        for frames in dropped:
            rogue.send_multipart(frames)
        rogue.send_multipart(refused[1])
        assert rogue.poll(10_000), "no answer to the rogue's second Hello"
        answer = wire.decode(rogue.recv_multipart())
        assert isinstance(answer, Rejected) and f"master speaks {PROTOCOL_VERSION}" in answer.reason
        rogue.send_multipart([bytes([PROTOCOL_VERSION]) + Heartbeat.TAG, b"\x00" * (2 * limit)])  # oversized
        assert master.wait(timeout=60) == 0, (tmp_path / "master.err").read_text()
        assert worker.wait(timeout=30) == 0, (tmp_path / "worker.err").read_text()
    finally:
        rogue.close()
        context.term()
        for process in (master, worker):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    report = json.loads((tmp_path / "report.json").read_text())
    served = target.served()
    assert report["totals"]["requests"] == served > 20  # the fake 1.2 M requests are not in it
    # Each dropped message counted once; the refused Hellos and the oversized one are not
    # (ZMQ_MAXMSGSIZE disconnects the sender before the master reads anything).
    assert report["protocol_errors"] == len(dropped)
    err = (tmp_path / "master.err").read_text()
    assert "Traceback" in err and "RuntimeError: boom from the tasks file's handler" in err
    # Logged at a bounded rate, naming the peer: one line per peer per 10 s, not one per message.
    drop_lines = [line for line in err.splitlines() if "dropped a message from" in line]
    assert 1 <= len(drop_lines) <= 3, drop_lines
    assert "refused peer (host rogue-box, pid 4242)" in drop_lines[0]
    boom_lines = [line for line in err.splitlines() if "the handler of custom message 'boom'" in line]
    assert 1 <= len(boom_lines) <= 2 and served > 2 * len(boom_lines)
    assert "refused a worker (host rogue-box, pid 4242): the worker runs a different tasks file" in err
    assert f"refused a worker (host rogue-box, pid 4242): protocol {PROTOCOL_VERSION + 1}" in err


class _ScriptedChannel:
    """A worker's channel whose master says what ``script`` holds, in order (an exception
    in it is raised by recv, as WorkerChannel raises ProtocolError for a bad message)."""

    identity = b"test-worker"

    def __init__(self, script: list[object]) -> None:
        self.script = script
        self.sent: list[object] = []

    def recv(self, timeout_s: float | None = None) -> object:
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def send(self, message: object) -> None:
        self.sent.append(message)


def test_a_worker_drops_bad_messages_and_survives_a_raising_handler(caplog: Any) -> None:
    from fastswarm.config.settings import Config
    from fastswarm.exception import ProtocolError
    from fastswarm.ipc.messages import Custom, Quit
    from fastswarm.ipc.worker import WorkerRunner
    from fastswarm.stats.recorder import Recorder
    from fastswarm.user.env import Environment
    from fastswarm.user.event import Events

    env = Environment(role="worker", user_classes=[], recorder=Recorder(), events=Events())
    script: list[object] = [
        ProtocolError("malformed hb message: users: expected an integer, got str"),
        Custom("boom", 1),
        ProtocolError("unknown message type b'nope'"),
        Custom("fine", 2),
        Quit(),
    ]
    channel = _ScriptedChannel(script)
    options = Config(heartbeat_interval=60.0, heartbeat_timeout=600.0, report_interval=60.0)
    runner = WorkerRunner(env, channel, options)  # type: ignore[arg-type]
    seen: list[object] = []

    def boom(environment: object, msg: Any) -> None:
        raise RuntimeError("a handler that raises")

    runner.register_message("boom", boom)
    runner.register_message("fine", lambda environment, msg: seen.append(msg.data))
    with caplog.at_level(logging.WARNING, "fastswarm.ipc.worker"):
        assert runner.serve() == 0  # it got to Quit: neither the bad messages nor the handler ended it
    assert script == [] and seen == [2]
    assert runner.protocol_errors == 2
    text = caplog.text
    assert "RuntimeError: a handler that raises" in text and "handling Custom from the master failed" in text
    assert "dropped a message from the master: malformed hb message" in text
