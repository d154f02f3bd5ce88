"""The same tasks file everywhere (issue 10 point 4): a worker running another copy is
refused with a clear line on both sides, unless --allow-mismatch; joins and refusals are
logged on the master and listed in /stats.

Real processes: a ``fastswarm --master`` and ``fastswarm --worker`` over tcp://127.0.0.1,
each in its own folder with its own copy of the tasks file, against the built-in target.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fastswarm import __version__
from fastswarm.ipc.admission import Door, Fingerprint, judge_hello
from fastswarm.ipc.messages import PROTOCOL_VERSION, Hello
from fastswarm.ipc.peer_log import ThrottledLog
from tests.conftest import ROOT, Target

TASKS = """
from fastswarm import HttpUser, task, constant

class Quick(HttpUser):
    wait_time = constant(0.05)

    @task
    def home(self):
        self.client.get("/")
"""
_URL = re.compile(r"status endpoint at (http://\S+?)/?$", re.M)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fastswarm(folder: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fastswarm", *args],
        cwd=folder,
        stdout=(folder / f"{name}.out").open("wb"),
        stderr=(folder / f"{name}.err").open("wb"),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _copy(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "tasks.py").write_text(text)
    return folder


def _wait_for(what: str, found: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/stats", timeout=5) as response:
        return dict(json.load(response))


def _master(folder: Path, target: Target, port: str, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    master = _fastswarm(
        folder, "master", "-H", target.url, "--master", "--master-bind-host", "127.0.0.1",
        "--master-port", port, "--expect-workers", "1", "--expect-workers-max-wait", "40",
        "--headless", "-P", "0", "-u", "2", "-r", "20", "-t", "2s", "--json", "report.json", *extra,
    )  # fmt: skip
    err = folder / "master.err"
    url = _wait_for("the status endpoint", lambda: (m := _URL.search(err.read_text())) and m.group(1))
    return master, url


def _worker(folder: Path, port: str) -> subprocess.Popen[bytes]:
    return _fastswarm(folder, "worker", "--worker", "--master-port", port, "--processes", "1")


def _end(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_worker_with_another_tasks_file_is_refused_on_both_sides(tmp_path: Path, target: Target) -> None:
    target.reset()
    port = str(_free_port())
    master_dir = _copy(tmp_path / "master", TASKS)
    stale = _copy(tmp_path / "stale", TASKS + "# edited on this host only\n")
    same = _copy(tmp_path / "same", TASKS)
    master, url = _master(master_dir, target, port)
    processes = [master]
    try:
        refused = _worker(stale, port)
        processes.append(refused)
        assert refused.wait(timeout=30) == 1
        worker_err = (stale / "worker.err").read_text()
        assert "the master refused this worker: the worker runs a different tasks file" in worker_err
        assert "Traceback" not in worker_err
        stats = _wait_for("the refusal in /stats", lambda: (s := _stats(url))["refused_workers"] and s)
        [refusal] = stats["refused_workers"]
        assert (refusal["host"], refusal["pid"]) == (socket.gethostname(), refused.pid)
        assert "different tasks file" in refusal["reason"] and refusal["at"].endswith("Z")
        assert stats["workers"] == [] and stats["state"] == "waiting"
        master_err = (master_dir / "master.err").read_text()
        who = f"host {socket.gethostname()}, pid {refused.pid}"
        assert f"refused a worker ({who}): the worker runs a different tasks file" in master_err

        good = _worker(same, port)  # the same bytes in another folder: taken, and the run goes on
        processes.append(good)
        stats = _wait_for("the worker in /stats", lambda: (s := _stats(url))["workers"] and s)
        [seen] = stats["workers"]
        assert (seen["host"], seen["pid"], seen["alive"]) == (socket.gethostname(), good.pid, True)
        shown = {"state", "users", "cpu_percent", "heartbeat_age_s", "lost_reason", "protocol_errors"}
        assert shown <= set(seen)
        assert stats["protocol_errors"] == 0
        assert master.wait(timeout=60) == 0, (master_dir / "master.err").read_text()
        assert good.wait(timeout=30) == 0, (same / "worker.err").read_text()
    finally:
        _end(*processes)
    master_err = (master_dir / "master.err").read_text()
    assert f"worker 0 (host {socket.gethostname()}, pid {good.pid}) joined" in master_err
    report = json.loads((master_dir / "report.json").read_text())
    assert report["totals"]["requests"] == target.served() > 0
    assert report["protocol_errors"] == 0


def test_allow_mismatch_takes_the_worker_with_a_warning(tmp_path: Path, target: Target) -> None:
    target.reset()
    port = str(_free_port())
    master_dir = _copy(tmp_path / "master", TASKS)
    stale = _copy(tmp_path / "stale", TASKS + "# edited on this host only\n")
    master, _ = _master(master_dir, target, port, "--allow-mismatch")
    worker = _worker(stale, port)
    try:
        assert master.wait(timeout=60) == 0, (master_dir / "master.err").read_text()
        assert worker.wait(timeout=30) == 0, (stale / "worker.err").read_text()
    finally:
        _end(master, worker)
    master_err = (master_dir / "master.err").read_text()
    assert "runs a different tasks file" in master_err and "accepted (--allow-mismatch)" in master_err
    assert json.loads((master_dir / "report.json").read_text())["totals"]["requests"] == target.served() > 0


# -- the pieces, without processes --


def _hello(digest: str, version: str = __version__, protocol: int = PROTOCOL_VERSION) -> Hello:
    return Hello(protocol, 7, "box-a", digest, version)


def test_fingerprint_is_the_sha256_of_the_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tasks.py"
    path.write_bytes(b"print('hi')\n")
    fp = Fingerprint.of_tasks_file(path)
    assert fp.tasks_sha256 == hashlib.sha256(b"print('hi')\n").hexdigest() and fp.version == __version__
    path.write_bytes(b"print('hi') \n")
    assert Fingerprint.of_tasks_file(path) != fp


@pytest.mark.parametrize(
    ("hello", "allow", "refused", "warned"),
    [
        (_hello("a" * 64), False, None, None),
        (_hello("b" * 64), False, "tasks file (sha256 bbbbbbbbbbbb, the master's is aaaaaaaaaaaa)", None),
        (_hello("a" * 64, "9.9.9"), False, f"fastswarm 9.9.9 (the master runs {__version__})", None),
        (_hello("b" * 64, "9.9.9"), True, None, "fastswarm 9.9.9"),
        (_hello("b" * 64), True, None, "accepted (--allow-mismatch)"),
        (_hello("a" * 64, protocol=1), True, "protocol 1, master speaks", None),
    ],
)
def test_judge_hello(hello: Hello, allow: bool, refused: str | None, warned: str | None) -> None:
    verdict = judge_hello(hello, Fingerprint("a" * 64), allow)
    if refused is None:
        assert verdict.refuse is None
    else:
        assert verdict.refuse is not None and refused in verdict.refuse
    if warned is None:
        assert verdict.warning is None
    else:
        assert verdict.warning is not None and warned in verdict.warning


def test_door_keeps_recent_refusals_and_names_peers() -> None:
    door = Door(Fingerprint("a" * 64), False, ThrottledLog(logging.getLogger("test")))
    for pid in range(25):
        door.refuse(b"id-%d" % pid, Hello(PROTOCOL_VERSION, pid, "box-b", "", ""), "no")
    assert len(door.refusals) == 20 and door.refusals[-1].pid == 24
    assert door.name(b"id-24", None) == "refused peer (host box-b, pid 24)"
    assert door.name(b"stranger", None) == "unknown peer b'stranger'"


def test_throttled_log_writes_one_line_per_key_per_period(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttle = ThrottledLog(logging.getLogger("test.throttle"), every_s=10, burst=3, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "test.throttle"):
        written = [throttle.log(logging.WARNING, "peer-a", "bad %d", i) for i in range(100)]
        assert written.count(True) == 1
        others = [throttle.log(logging.WARNING, f"peer-{k}", "other") for k in "bcde"]
        assert others == [True, True, False, False]  # the burst: 3 lines per period in all
        now[0] = 10.5
        assert throttle.log(logging.WARNING, "peer-a", "bad again")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "bad 0" and len(lines) == 4
    assert lines[-1] == "bad again (99 more like this not logged in the last 10 s)"
    assert throttle.skipped_total == 99 + 2
