"""Shared fixtures: the built-in target as a real server process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastswarm.env import Environment
from tests.fakes import FakeEvents, FakeRecorder

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Target:
    url: str
    process: subprocess.Popen[str]

    def served(self) -> int:
        with urllib.request.urlopen(self.url + "/__stats", timeout=5) as response:
            return int(json.load(response)["requests"])

    def reset(self) -> None:
        request = urllib.request.Request(self.url + "/__reset", method="POST", data=b"")
        urllib.request.urlopen(request, timeout=5).close()


def start_target(*extra: str) -> Target:
    process = subprocess.Popen(
        [sys.executable, "-m", "fastswarm.target", "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"target did not start: {line!r}")
    return Target(line[line.index("http://") :], process)


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    server = start_target()
    yield server
    server.process.kill()
    server.process.wait(timeout=5)


def run_fastswarm(
    *args: str, cwd: Path | None = None, timeout: float = 90, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, bounded in time."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "fastswarm", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=full_env,
    )


@pytest.fixture
def rec() -> FakeRecorder:
    """A recorder that keeps every record() call, for HTTP client tests."""
    return FakeRecorder()


@pytest.fixture
def env(rec: FakeRecorder) -> Environment:
    """A worker-less Environment recording into ``rec``, with no request listeners."""
    return Environment(recorder=rec, events=FakeEvents())  # type: ignore[arg-type]


# -- markers: `pytest -m unit` is the quick in-process loop, `-m e2e` runs real processes, `-m browser`
# needs Debian's chromium or prometheus. A module that starts processes is e2e as a whole.

_BROWSER_MODULES = {"test_browser_ui", "test_browser_extend", "test_browser_report", "test_prometheus"}
_PROCESS_WORDS = ("run_fastswarm", "subprocess", "start_target", "Popen", "multiprocessing")


def _starts_processes(module: object) -> bool:
    path = Path(str(getattr(module, "__file__", "")))
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return any(word in text for word in _PROCESS_WORDS)


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in (
        ("unit", "in-process, no servers or child processes; `pytest -m unit` runs in seconds"),
        ("e2e", "real fastswarm processes, the built-in target, sockets on 127.0.0.1"),
        ("browser", "needs Debian's chromium or prometheus (scripts/system-deps.sh installs them)"),
    ):
        config.addinivalue_line("markers", f"{name}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    process_modules: dict[str, bool] = {}
    for item in items:
        module = getattr(item, "module", None)
        name = getattr(module, "__name__", "").rsplit(".", 1)[-1]
        if name in _BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)
            continue
        if name not in process_modules:
            process_modules[name] = _starts_processes(module)
        uses_target = "target" in getattr(item, "fixturenames", ())
        item.add_marker(pytest.mark.e2e if process_modules[name] or uses_target else pytest.mark.unit)
