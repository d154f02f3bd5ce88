"""A real fastswarm master with its status endpoint, run as a subprocess for the web tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

TASKS = """
from fastswarm import HttpUser, task, constant

class Quick(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def home(self):
        self.client.get("/")

    @task(1)
    def missing(self):
        self.client.get("/status/404", name="/status/{code}")
"""

# The browser tests drive Debian's chromium (apt-get install chromium) through Playwright.
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots; git ignores it
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_URL = re.compile(r"status endpoint at (http://\S+?)/?$", re.M)


class Master:
    """``fastswarm`` started with ``args`` in ``folder``; output goes to files (no pipe stalls)."""

    def __init__(
        self, folder: Path, *args: str, env: dict[str, str] | None = None, tasks: str = TASKS
    ) -> None:
        (folder / "tasks.py").write_text(tasks)
        self.folder = folder
        self.out = (folder / "stdout.txt").open("w")
        self.err_path = folder / "stderr.txt"
        self.err = self.err_path.open("w")
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fastswarm", *args],
            cwd=folder,
            env=full_env,
            stdout=self.out,
            stderr=self.err,
        )
        self.url = self._wait_for_url()
        self.token: str | None = None

    def _wait_for_url(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _URL.search(self.err_path.read_text())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"no status endpoint: {self.err_path.read_text()}")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    @property
    def stdout(self) -> str:
        return (self.folder / "stdout.txt").read_text()

    def request(
        self,
        path: str,
        method: str = "GET",
        body: Any = None,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        all_headers = dict(headers or {})
        if content_type and method == "POST":
            all_headers["Content-Type"] = content_type
        if self.token and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def json(self, path: str, method: str = "GET", body: Any = None) -> Any:
        status, _, raw = self.request(path, method, body if body is not None or method == "GET" else {})
        assert status == 200, (path, status, raw)
        return json.loads(raw)

    def wait_for(self, predicate: Any, timeout: float = 20, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snap = self.json("/stats")
            if predicate(snap):
                return snap
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {snap}")

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C: the master stops the test, writes its reports and exits."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.out.close()
        self.err.close()


def send(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str | None] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given (any Host, Origin, path, body), on its own connection.

    Host defaults to the URL's; a header given as None is not sent at all.
    """
    address = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        given: dict[str, str | None] = {"Host": address.netloc, **(headers or {})}
        if body is not None:
            given.setdefault("Content-Length", str(len(body)))
        for name, value in given.items():
            if value is not None:
                conn.putheader(name, value)
        conn.endheaders(body)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def strict_json(raw: bytes) -> Any:
    """``json.loads`` as a strict parser reads JSON: NaN and Infinity are errors."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(raw, parse_constant=refuse)


@contextlib.contextmanager
def chromium_page(height: int = 720) -> Iterator[Page]:
    """A 1280-wide page in Debian's headless chromium (``.ci/run`` installs it); the test fails
    if a script on the page raised."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is missing: .ci/run installs it (apt-get install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
        assert not errors, errors  # no script error on any tab
