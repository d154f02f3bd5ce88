"""Honest outcomes through the real command line: deadlines, requests cut by the stop, exit codes.

Each run is a real master and worker against a real server on 127.0.0.1 (the built-in target,
or ``hostile_server.py`` for a server that trickles or never answers), bounded by ``-t`` and a
subprocess timeout; the JSON report is compared with what the server counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fastswarm.http.fast_users import FastHttpUser
from fastswarm.http.users import HttpUser
from tests.conftest import Target, run_fastswarm
from tests.hostile_server import HostileServer

CLIENTS = ["HttpUser", "FastHttpUser"]


def _run(tmp_path: Path, tasks: str, *args: str, timeout: float = 90) -> tuple[Any, dict[str, Any]]:
    (tmp_path / "tasks.py").write_text(tasks)
    result = run_fastswarm(
        "--headless", "--no-web", "-r", "100", "--json", "r.json", *args, cwd=tmp_path, timeout=timeout
    )
    path = tmp_path / "r.json"
    return result, json.loads(path.read_text()) if path.exists() else {}


def _errors(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(e["name"], e["error"]): e["count"] for e in report["errors"]}


def test_both_clients_default_to_a_60_s_deadline_for_the_whole_request() -> None:
    assert HttpUser.network_timeout == FastHttpUser.network_timeout == 60.0


@pytest.mark.parametrize("client", CLIENTS)
def test_a_trickled_response_fails_at_its_deadline(tmp_path: Path, client: str) -> None:
    """1 byte / 100 ms never trips a per-read timeout; the whole-request deadline ends it."""
    tasks = f"""
from fastswarm import {client}, task, constant

class Slow({client}):
    host = "{{url}}"
    network_timeout = 0.8
    wait_time = constant(0.1)

    @task
    def both(self):
        self.client.get("/by-class")
        self.client.get("/by-request", timeout=0.4)
"""
    with HostileServer("trickle") as server:
        result, report = _run(
            tmp_path, tasks.replace("{url}", server.url), "-u", "1", "-t", "2s", "--stop-timeout", "3"
        )
        _, seen = server.seen()
    assert result.returncode == 1, result.stderr
    assert _errors(report).keys() == {
        ("/by-class", "ReadTimeout: no complete response within 0.8 s"),
        ("/by-request", "ReadTimeout: no complete response within 0.4 s"),
    }
    totals = report["totals"]
    assert totals["requests"] == totals["failures"] == seen >= 2
    latency = {e["name"]: e["latency_ms"] for e in report["endpoints"]}
    # The watchdog fires between the deadline and a period (0.1 s) later; never early.
    assert 790 <= latency["/by-class"]["min"] and latency["/by-class"]["max"] < 2500
    assert 395 <= latency["/by-request"]["min"] and latency["/by-request"]["max"] < 2000


@pytest.mark.parametrize("client", CLIENTS)
def test_requests_in_flight_at_the_stop_are_counted(tmp_path: Path, client: str) -> None:
    """A server that never answers: each user's request is cut by the stop and recorded so."""
    tasks = f"""
from fastswarm import {client}, task, constant

class Waiting({client}):
    host = "{{url}}"
    wait_time = constant(0)

    @task
    def hang(self):
        self.client.get("/never")
"""
    with HostileServer("never") as server:
        result, report = _run(
            tmp_path, tasks.replace("{url}", server.url), "-u", "2", "-t", "1.5s", "--stop-timeout", "0"
        )
        _, seen = server.seen()
    totals = report["totals"]
    assert totals["requests"] == totals["failures"] == seen == 2
    assert _errors(report) == {("/never", "interrupted at stop"): 2}
    # Nothing finished: the run is a failure, said in one line (no longer 0 requests, exit 0).
    assert result.returncode == 1
    assert "fastswarm: error: no request finished before the stop" in result.stderr


def test_requests_cut_by_the_stop_alone_do_not_fail_a_busy_run(tmp_path: Path, target: Target) -> None:
    tasks = """
from fastswarm import FastHttpUser, task, constant

class Busy(FastHttpUser):
    wait_time = constant(0)

    @task
    def slow(self):
        self.client.get("/delay/300")
"""
    target.reset()
    result, report = _run(tmp_path, tasks, "-H", target.url, "-u", "3", "-t", "2s", "--stop-timeout", "0")
    totals = report["totals"]
    assert result.returncode == 0, result.stderr
    assert totals["requests"] == target.served() > totals["failures"]
    assert set(_errors(report)) <= {("/delay/300", "interrupted at stop")}


@pytest.mark.parametrize("where", ["on_start", "task", "wait_time"])
def test_errors_in_task_code_exit_1(tmp_path: Path, target: Target, where: str) -> None:
    tasks = f"""
from fastswarm import HttpUser, task

def broken_wait(user):
    raise ValueError("broken wait_time")

class Buggy(HttpUser):
    if {where!r} == "wait_time":
        wait_time = broken_wait
    else:
        wait_time = lambda self: 0.05

    def on_start(self):
        self.client.get("/")
        if {where!r} == "on_start":
            raise ValueError("broken on_start")

    @task
    def work(self):
        self.client.get("/")
        if {where!r} == "task":
            raise ValueError("broken task")
"""
    result, report = _run(tmp_path, tasks, "-H", target.url, "-u", "1", "-t", "1s")
    assert result.returncode == 1, result.stderr
    assert report["totals"]["requests"] >= 1 and report["totals"]["failures"] == 0
    assert [u["message"] for u in report["user_errors"]] == [f"broken {where}"]
    assert "Traceback" not in result.stderr


def test_a_run_that_makes_no_request_exits_1(tmp_path: Path) -> None:
    tasks = """
from fastswarm import User, task, constant

class Idle(User):
    wait_time = constant(0.1)

    @task
    def nothing(self):
        pass
"""
    result, report = _run(tmp_path, tasks, "-u", "1", "-t", "1s")
    assert result.returncode == 1
    assert report["totals"]["requests"] == 0
    assert "fastswarm: error: no request was made" in result.stderr


@pytest.mark.parametrize("client", CLIENTS)
def test_a_missing_host_is_one_line_before_the_run(tmp_path: Path, client: str) -> None:
    tasks = f"""
from fastswarm import {client}, task

class NoHost({client}):
    @task
    def home(self):
        self.client.get("/")
"""
    result, _ = _run(tmp_path, tasks, "-u", "1", "-t", "5s", "--processes", "2", timeout=30)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "fastswarm: error: no host to send requests to: pass -H/--host (e.g. -H http://127.0.0.1:8080) "
        "or set `host` on NoHost"
    ]
    assert result.stdout == ""  # no run, no summary


def test_the_host_check_names_only_the_classes_without_one(tmp_path: Path) -> None:
    """A class with its own host, or -H, is enough; the check names only the classes lacking one."""
    tasks = """
from fastswarm import HttpUser, FastHttpUser, task

class Fine(HttpUser):
    host = "http://127.0.0.1:9"

    @task
    def home(self):
        pass

class Lacking(FastHttpUser):
    @task
    def home(self):
        pass
"""
    result, _ = _run(tmp_path, tasks, "-u", "2", "-t", "1s", timeout=30)
    assert result.returncode == 2 and result.stderr.strip().endswith("set `host` on Lacking")
