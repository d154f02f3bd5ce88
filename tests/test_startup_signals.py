"""Start-up and signals: every way a run can fail to start is one line, the right exit code, and
leaves nothing behind (no worker process, no socket folder).

Real processes throughout: the command line in a subprocess with its own TMPDIR (so the ipc
socket folder it makes can be looked for), real signals, a real busy port. Worker processes are
forks of the master, so they share its command line; a process whose command line holds this
test's unique tasks-file path is one of ours, and none may outlive the master.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Target

TASKS = """
from fastswarm import HttpUser, task, constant

class Quick(HttpUser):
    wait_time = constant(0.05)

    @task
    def home(self):
        self.client.get("/")
"""


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket already listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def _ours(marker: str) -> list[int]:
    """Live processes whose command line mentions ``marker`` (zombies are dead, not counted)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _none_left(marker: str, tmp: Path, within: float = 10.0) -> None:
    """No process of this run and no socket folder remain (allowing ``within`` seconds to go)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and (_ours(marker) or list(tmp.glob("fastswarm-*"))):
        time.sleep(0.1)
    assert _ours(marker) == [], "worker processes outlived the master"
    assert list(tmp.glob("fastswarm-*")) == [], "the ipc socket folder was left behind"


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}


# -- the built-in target and make demo --


@pytest.mark.parametrize("command", [["-m", "fastswarm", "target"], ["-m", "fastswarm.target"]])
def test_the_target_on_a_busy_port_is_one_line_and_exit_2(busy_port: int, command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *command, "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"port {busy_port} on 127.0.0.1 is in use" in lines[0], result.stderr


def test_the_target_sends_a_100_mb_body(target: Target) -> None:
    """/bytes/N goes to 1 GiB (was 64 MB), sent from one buffer: the large-body tests' source."""
    with socket.create_connection(("127.0.0.1", int(target.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(b"GET /bytes/100000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received, head = 0, b""
        while chunk := sock.recv(1 << 20):
            if not head:
                head, _, chunk = chunk.partition(b"\r\n\r\n")
            received += len(chunk)
    assert b"Content-Length: 100000000" in head and received == 100_000_000


def test_make_demo_stops_when_its_target_cannot_start(busy_port: int, tmp_path: Path) -> None:
    """The demo must not load-test whatever else holds the port (it used to, and exit 0)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "fastswarm").symlink_to(Path(sys.executable).parent / "fastswarm")
    started = time.monotonic()
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "-o", "venv", "-o", f"{venv}/.installed", "demo"]
        + [f"DEMO_PORT={busy_port}", f"VENV={venv}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"port {busy_port} on 127.0.0.1 is in use" in result.stderr
    assert "make demo: the target did not start" in result.stderr
    assert "Aggregated" not in result.stdout and not (ROOT / "demo-report.json").exists()
    assert time.monotonic() - started < 20

