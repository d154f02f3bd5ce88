"""Large bodies: ``stream=True`` reads lazily, other bodies over the cap are counted, never held.

Real runs (master, one forked worker, the built-in target's ``/bytes/N``, which sends a large
body from one 1 MiB buffer). A listener in the worker writes its peak resident memory (VmHWM)
and the outcome of each streaming check when the test stops; the run's report gives the bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Target, run_fastswarm

BODY = 100_000_000
RSS_LIMIT_KB = 100 * 1024  # the goal: a 4-user run on a 100 MB body stays under 100 MB per worker

TASKS = """
import json
from fastswarm import {client}, task, constant, events

CHECKS = {{}}

@events.test_stop.add_listener
def write_out(environment, **kw):
    if environment.role == "worker":
        with open("/proc/self/status") as status:
            hwm = next(line for line in status if line.startswith("VmHWM")).split()[1]
        with open({out!r}, "w") as f:
            json.dump({{"hwm_kb": int(hwm), **CHECKS}}, f)

def check(name, fn):
    try:
        CHECKS[name] = fn()
    except Exception as e:
        CHECKS[name] = repr(e)

class Big({client}):
    wait_time = constant(0)

    def on_start(self):
        if CHECKS:
            return
        get = self.client.get
        check("content", lambda: get("/bytes/1000", stream=True).content == b"x" * 1000)
        def chunks():
            sizes = [len(c) for c in get("/bytes/300000", stream=True).iter_content(chunk_size=65536)]
            return max(sizes) <= 65536 and sum(sizes) == 300000
        check("iter_content", chunks)
        def raw():
            r = get("/bytes/5000", stream=True)
            return r.raw.read(10) == b"x" * 10 and len(r.raw.read()) == 4990
        check("raw", raw)
        def abandoned():
            first = get("/bytes/2000000", stream=True)
            next(first.iter_content(1000))
            second = get("/bytes/10")  # the first body is left unread
            return second.status_code == 200 and second.content == b"x" * 10
        check("abandoned", abandoned)
        def caught():
            with get("/bytes/100", stream=True, catch_response=True) as r:
                ok = r.content == b"x" * 100
                r.success()
            return ok
        check("catch_response", caught)
        check("redirect", lambda: get("/redirect/2", stream=True).content == b"ok")
        def dropped():
            r = get("/bytes/40000000")  # over the default 32 MiB cap
            return r.status_code == 200 and r.content == b""
        check("dropped", dropped)

    @task
    def big(self):
        {body}
"""

STREAM = f"""r = self.client.get("/bytes/{BODY}", stream=True)
        if sum(len(c) for c in r.iter_content(65536)) != {BODY}:
            raise AssertionError("short body")"""
PLAIN = f"""self.client.get("/bytes/{BODY}")"""


@pytest.mark.parametrize("client", ["HttpUser", "FastHttpUser"])
@pytest.mark.parametrize("mode", ["stream", "plain"])
def test_a_100_mb_body_costs_a_worker_under_100_mb(
    tmp_path: Path, target: Target, client: str, mode: str
) -> None:
    out = tmp_path / "worker.json"
    body = STREAM if mode == "stream" else PLAIN
    (tmp_path / "tasks.py").write_text(TASKS.format(client=client, out=str(out), body=body))
    result = run_fastswarm(
        *("-H", target.url, "--headless", "--no-web", "-u", "4", "-r", "100", "-t", "3s"),
        *("--stop-timeout", "20", "--processes", "1", "--json", "r.json"),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    worker = json.loads(out.read_text())
    assert {k: v for k, v in worker.items() if k != "hwm_kb"} == {
        "content": True,
        "iter_content": True,
        "raw": True,
        "abandoned": True,
        "catch_response": True,
        "redirect": True,
        "dropped": True,
    }
    assert worker["hwm_kb"] < RSS_LIMIT_KB, worker
    report = json.loads((tmp_path / "r.json").read_text())
    rows = {e["name"]: e for e in report["endpoints"]}
    big = rows[f"/bytes/{BODY}"]
    # Every byte is counted: the streamed body by its Content-Length (as Locust), the dropped
    # one by what was read.
    assert big["requests"] >= 4 and big["failures"] == 0 and big["bytes_avg"] == BODY
    assert rows["/bytes/40000000"]["bytes_avg"] == 40_000_000
    assert not report["user_errors"]
