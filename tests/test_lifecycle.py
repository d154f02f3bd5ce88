"""Lifecycle end to end: background greenlets die with the test, events fire where documented,
custom options reach every process, and --list shows the task tree."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.conftest import Target, run_fastswarm, start_target
from tests.web_support import Master

LIFE = """
import os
import time
import urllib.request

import gevent

from fastswarm import HttpUser, constant, events, task

LOG = os.environ["LIFE_LOG"]
RUNNING = set()


def log(*parts):
    with open(LOG, "a") as f:
        f.write(" ".join(str(p) for p in parts) + "\\n")


def env_poller(host):
    RUNNING.add("env")
    try:
        while True:  # a test-long poller: 60 s, far longer than the test
            urllib.request.urlopen(host + "/", timeout=5).read()
            log("poll env", time.time())
            gevent.sleep(0.05)
    finally:
        RUNNING.discard("env")


@events.test_start.add_listener
def on_start(environment, **kw):
    log("test_start", environment.role)
    if environment.role == "worker":
        environment.spawn(env_poller, environment.host)


@events.test_stop.add_listener
def on_stop(environment, **kw):
    log("test_stop", environment.role, len(RUNNING), time.time())


@events.reset_stats.add_listener
def on_reset(**kw):
    log("reset_stats", "master" if events.request.recorder is None else "worker")


@events.heartbeat.add_listener
def on_heartbeat(client_id, timestamp, **kw):
    log("heartbeat", "master" if events.request.recorder is None else "worker")


class Poller(HttpUser):
    wait_time = constant(60)

    def user_poller(self):
        RUNNING.add(f"user{self.user_id}")
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end:
                self.client.get("/", name="poll")
                log("poll user", time.time())
                gevent.sleep(0.05)
        finally:
            RUNNING.discard(f"user{self.user_id}")

    @task
    def start_polling(self):
        self.spawn(self.user_poller)
"""


def _wait_for_line(path: Path, prefix: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if any(line.startswith(prefix) for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no {prefix!r} line in {path}")


def test_spawned_pollers_die_with_the_test_and_events_fire(tmp_path: Path) -> None:
    (tmp_path / "life.py").write_text(LIFE)
    log = tmp_path / "life.log"
    target = start_target()
    try:
        master = Master(
            tmp_path,
            *("-f", "life.py", "-H", target.url, "--autostart", "-t", "2s", "--autoquit", "4"),
            *("-P", "0", "-u", "2", "-r", "50", "--processes", "2"),
            env={"LIFE_LOG": str(log)},
        )
        try:
            _wait_for_line(log, "poll user")
            status, _, _ = master.request("/reset", "POST", {})
            assert status == 200
            lines = _wait_for_line(log, "test_stop master")
            served = target.served()
            time.sleep(1.0)  # the master is still up (--autoquit 4): nothing may be sending now
            assert target.served() == served
            assert master.process.wait(timeout=30) == 0, master.stderr
            lines = log.read_text().splitlines()
        finally:
            master.kill()
    finally:
        target.process.kill()
        target.process.wait(timeout=5)
    words = Counter(" ".join(line.split()[:2]) for line in lines)
    assert words["test_start master"] == 1 and words["test_start worker"] == 2
    assert words["reset_stats master"] == 1 and words["reset_stats worker"] == 2
    assert words["heartbeat master"] >= 2 and words["heartbeat worker"] >= 2
    assert words["poll user"] > 10 and words["poll env"] > 10
    stops = [line.split() for line in lines if line.startswith("test_stop worker")]
    assert len(stops) == 2 and all(s[2] == "0" for s in stops)  # no poller still running
    last_stop = max(float(s[3]) for s in stops)
    polls = [float(line.split()[2]) for line in lines if line.startswith("poll")]
    assert max(polls) < last_stop  # nothing polled after its worker's test stopped


OPTIONS = """
from fastswarm import User, constant, events, task

@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--count", type=int, default=1)

class Nobody(User):
    wait_time = constant(1)

    @task
    def nothing(self):
        pass
"""


def test_custom_option_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(OPTIONS)
    unknown = run_fastswarm("--headless", "--no-web", "-t", "1s", "--bogus", "3", cwd=tmp_path, timeout=30)
    assert unknown.returncode == 2 and "fastswarm: error: No such option: --bogus" in unknown.stderr
    bad = run_fastswarm("--headless", "--no-web", "-t", "1s", "--count", "many", cwd=tmp_path, timeout=30)
    assert bad.returncode == 2 and "--count: invalid int value: 'many'" in bad.stderr
    assert "Traceback" not in unknown.stderr + bad.stderr
    # A User class named on the command line still selects, with options around it.
    picked = run_fastswarm("--list", "--count", "2", "Nobody", cwd=tmp_path, timeout=30)
    assert picked.returncode == 0 and picked.stdout.startswith("Nobody"), picked.stderr
    missing = run_fastswarm("--list", "Somebody", cwd=tmp_path, timeout=30)
    assert missing.returncode == 2 and "no User class named Somebody" in missing.stderr


NESTED = """
from fastswarm import HttpUser, SequentialTaskSet, TaskSet, task

class Checkout(SequentialTaskSet):
    @task
    def cart(self): pass

    @task
    def pay(self): pass

class Browse(TaskSet):
    tasks = {Checkout: 1}

    @task(3)
    def home(self): pass

class Shopper(HttpUser):
    weight = 3
    host = "http://127.0.0.1:9"
    tasks = {Browse: 2}

    @task
    def search(self): pass

class Admin(HttpUser):
    fixed_count = 1

    @task
    def audit(self): pass
"""


def test_list_shows_nested_tasksets_with_weights(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(NESTED)
    result = run_fastswarm("--list", cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Shopper  (weight 3, host http://127.0.0.1:9)"
    body = "\n".join(lines)
    assert "    Browse  weight 2 (67%)" in body and "    search  weight 1 (33%)" in body
    assert "        home  weight 3 (75%)" in body and "        Checkout  weight 1 (25%)" in body
    assert "            cart  weight 1 (50%)" in body and "            pay  weight 1 (50%)" in body
    assert "Admin  (fixed_count 1)" in body and "    audit  weight 1 (100%)" in body


def test_async_polling_example_records_one_async_entry(tmp_path: Path, target: Target) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "async_polling.py"
    result = run_fastswarm(
        *("-f", str(example), "-H", target.url, "--headless", "--no-web", "-u", "3", "-r", "50"),
        *("-t", "2s", "--json", str(tmp_path / "r.json")),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import json

    rows = {e["name"]: e for e in json.loads((tmp_path / "r.json").read_text())["endpoints"]}
    job = rows["POST /jobs/ID - async"]
    assert job["method"] == "ASYNC" and job["requests"] >= 3 and job["failures"] == 0
    assert 290 <= job["latency_ms"]["p50"] <= 600  # the target finishes a job after 300 ms
    assert rows["/jobs/ID"]["requests"] > job["requests"]  # several polls per job
