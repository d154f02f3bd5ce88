"""Real hosts for multi-host tests: Linux network namespaces joined by a bridge.

``lab(3)`` makes three namespaces, each with one veth on a private bridge and an address in
``10.213.<n>.0/24`` that exists only inside this sandbox, so fastswarm's master, workers and
target talk over a real network stack with its own addresses, and a test can cut a host off
(``partition``) or bring it back. Everything is removed on exit, processes first. Traffic
never leaves the bridge: the root namespace has no address on it and no route to it.

Needs root and ``ip`` (iproute2; .ci/run installs it). ``require_lab()`` skips the calling
test with a loud reason when namespaces cannot be made here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=10)


def namespaces_available() -> str | None:
    """None when labs can be made here, else why not."""
    if shutil.which("ip") is None:
        return "no `ip` command (install iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"fsprobe{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def require_lab() -> None:
    reason = namespaces_available()
    if reason is not None:
        print(f"\nSKIPPING MULTI-HOST TEST: {reason}", file=sys.stderr)
        pytest.skip(f"multi-host tests need network namespaces: {reason}")


@dataclass
class Host:
    name: str  # the namespace
    veth: str  # its link's end in the root namespace, on the bridge
    address: str
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def popen(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start ``args`` inside this host's namespace."""
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.name, *args],
            cwd=cwd or ROOT,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def fastswarm(self, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
        return self.popen(sys.executable, "-m", "fastswarm", *args, cwd=cwd)

    def python(self, code: str, timeout: float = 30) -> str:
        """Run Python ``code`` inside this host (the test itself has no route into the lab)."""
        process = self.popen(sys.executable, "-c", code)
        out, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise AssertionError(f"on {self.name}: {err[-2000:]}")
        return out

    def served(self, url: str, wait_s: float = 20.0) -> int:
        """The built-in target's request count at ``url``, waiting for it to answer."""
        code = (
            "import json, time, urllib.request\n"
            f"deadline = time.monotonic() + {wait_s}\n"
            "while True:\n"
            "    try:\n"
            f"        print(json.load(urllib.request.urlopen({url!r} + '/__stats', timeout=5))['requests'])\n"
            "        break\n"
            "    except OSError:\n"
            "        if time.monotonic() > deadline: raise\n"
            "        time.sleep(0.2)\n"
        )
        return int(self.python(code, timeout=wait_s + 10).strip())

    def partition(self) -> None:
        """Cut this host off the network (its link goes down; its processes keep running)."""
        _ip("link", "set", self.veth, "down")

    def heal(self) -> None:
        _ip("link", "set", self.veth, "up")


@dataclass
class Lab:
    bridge: str
    hosts: list[Host]


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def lab(count: int) -> Iterator[Lab]:
    """``count`` hosts on one bridge; torn down (processes, namespaces, links) on exit."""
    tag = f"{os.getpid() % 10000}{int(time.monotonic() * 10) % 100:02d}"
    subnet = 1 + os.getpid() % 250
    bridge = f"fsbr{tag}"
    hosts = [Host(f"fs{tag}h{i}", f"fs{tag}v{i}", f"10.213.{subnet}.{i + 1}") for i in range(count)]
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("link", "set", bridge, "up")
        for host in hosts:
            _ip("netns", "add", host.name)
            _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            _ip("link", "set", host.veth, "master", bridge)
            _ip("link", "set", host.veth, "up")
            _ip("-n", host.name, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.name, "link", "set", "eth0", "up")
            _ip("-n", host.name, "link", "set", "lo", "up")
        yield Lab(bridge, hosts)
    finally:
        for host in hosts:
            for process in host.processes:
                _kill(process)
            _ip("netns", "del", host.name, check=False)
            _ip("link", "del", host.veth, check=False)
        _ip("link", "del", bridge, check=False)
