"""Start-up and signals: every way a run can fail to start is one line, the right exit code, and
leaves nothing behind (no worker process, no socket folder).

Real processes throughout: the command line in a subprocess with its own TMPDIR (so the ipc
socket folder it makes can be looked for), real signals, a real busy port. Worker processes are
forks of the master, so they share its command line; a process whose command line holds this
test's unique tasks-file path is one of ours, and none may outlive the master.
"""

from __future__ import annotations

import errno
import os
import signal
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


# -- processes, forks, Ctrl-C and a killed master --

SLOW_START = """
import time
from fastswarm import HttpUser, task, constant

time.sleep(0.8)  # a tasks file that takes a while to import

class Patient(HttpUser):
    wait_time = constant(0.05)

    def on_start(self):
        time.sleep(2.0)  # and users that take a while before their first request

    @task
    def home(self):
        self.client.get("/")
"""

FAILING_FORK = """
import errno, os, sys
from fastswarm.cli.main import main
from fastswarm.engine.gevent_patch import patch_gevent

patch_gevent()
real_fork, forks = os.fork, []

def fork():
    if len(forks) >= int(os.environ["FORKS_ALLOWED"]):
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
    forks.append(1)
    return real_fork()

os.fork = fork  # the supervisor calls os.fork at fork time: the third one fails as EAGAIN would
main(sys.argv[1:])
"""


def _fastswarm(
    tmp: Path, *args: str, cores: set[int] | None = None, quiet: bool = False
) -> subprocess.Popen[str]:
    # quiet: workers that outlive a killed master keep inherited pipes open; /dev/null has no end
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "fastswarm", "-f", str(tmp / "tasks.py"), "--no-web", *args],
        cwd=tmp,
        stdout=out,
        stderr=out,
        text=True,
        env=_env(tmp),
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    )


def test_processes_above_the_cores_warn_and_above_4x_are_refused(tmp_path: Path, target: Target) -> None:
    """On one usable core: 2 warns and runs, 5 is refused (exit 2, nothing forked), --force runs it."""
    (tmp_path / "tasks.py").write_text(TASKS)
    run = ("-H", target.url, "--headless", "-u", "2", "-r", "100", "-t", "1s")
    refused = _fastswarm(tmp_path, *run, "--processes", "5", cores={0})
    out, err = refused.communicate(timeout=30)
    assert refused.returncode == 2 and out == ""
    assert err.splitlines() == [
        "fastswarm: error: --processes: 5 is more than 4 per usable core (1 core); the workers would only "
        "fight over the CPU. Use --processes auto (one per core), or add --force to start them anyway"
    ]
    for extra in (("--processes", "2"), ("--processes", "5", "--force")):
        started = _fastswarm(tmp_path, *run, *extra, cores={0})
        out, err = started.communicate(timeout=90)
        assert started.returncode == 0, err
        assert f"fastswarm: warning: --processes {extra[1]} is more than the 1 usable core" in err
        assert f"workers: {extra[1]}" in out or "Aggregated" in out
    _none_left(str(tmp_path / "tasks.py"), tmp_path)


def test_a_failed_fork_is_one_line_exit_2_and_leaves_no_worker(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    (tmp_path / "launch.py").write_text(FAILING_FORK)
    result = subprocess.run(
        [sys.executable, str(tmp_path / "launch.py"), "-f", str(tmp_path / "tasks.py"), "--no-web"]
        + ["-H", target.url, "--headless", "-u", "2", "-t", "10s", "--processes", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(tmp_path), "FORKS_ALLOWED": "1"},
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"fastswarm: error: could not start worker process 2 of 2: {os.strerror(errno.EAGAIN)}; "
        "the 1 already started were stopped"
    ]
    _none_left(str(tmp_path / "launch.py"), tmp_path)


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.2, 1.7, 2.3, 3.0])
def test_ctrl_c_at_any_moment_of_start_up_exits_130_in_one_line(
    tmp_path: Path, target: Target, delay: float
) -> None:
    """From importing the CLI, through the tasks file, the forks and the workers' hellos, to users
    still in on_start: one line, exit 130, no traceback, no summary, nothing left behind."""
    (tmp_path / "tasks.py").write_text(SLOW_START)
    process = _fastswarm(tmp_path, "-H", target.url, "--headless", "-u", "2", "-r", "100", "-t", "30s")
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, err, out) == (130, "fastswarm: interrupted\n", "")
    _none_left(str(tmp_path / "tasks.py"), tmp_path)


def test_ctrl_c_once_requests_flow_stops_the_run_and_reports(tmp_path: Path, target: Target) -> None:
    """The other side of the line: after the first requests, Ctrl-C is a graceful stop, not 130."""
    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    process = _fastswarm(tmp_path, "-H", target.url, "--headless", "-u", "2", "-t", "30s", "--processes", "2")
    deadline = time.monotonic() + 30
    while target.served() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Aggregated" in out and "Traceback" not in err
    _none_left(str(tmp_path / "tasks.py"), tmp_path)


def test_workers_remove_the_socket_folder_when_the_master_is_killed(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    run = ("-H", target.url, "--headless", "-u", "2", "-t", "60s", "--processes", "2")
    process = _fastswarm(tmp_path, *run, quiet=True)
    deadline = time.monotonic() + 30
    while target.served() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(tmp_path.glob("fastswarm-*"))) == 1  # the master's ipc socket folder
    process.kill()  # SIGKILL: the master runs no clean-up of its own
    process.wait(timeout=10)
    gone = time.monotonic() + 5
    while list(tmp_path.glob("fastswarm-*")) and time.monotonic() < gone:
        time.sleep(0.1)
    assert list(tmp_path.glob("fastswarm-*")) == [], "no worker removed the socket folder"
    _none_left(str(tmp_path / "tasks.py"), tmp_path, within=20)
