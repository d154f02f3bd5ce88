"""Locust-style tasks files (tests/compat/) run end to end, each with a check on what it did.

Every file is run by the real command line against the one shared built-in target, for about
a second, and its JSON report, exit code, stderr and (where the file writes one) its
``$COMPAT_LOG`` are checked for something specific to that file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Target, run_fastswarm

COMPAT = ROOT / "tests" / "compat"


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    log: list[str]

    def rows(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.report["endpoints"]}

    def requests(self, name: str) -> int:
        row = self.rows().get(name)
        return int(row["requests"]) if row else 0


@dataclass
class Case:
    check: Callable[[Run], None]
    args: tuple[str, ...] = ()
    code: int = 0
    env: dict[str, str] = field(default_factory=dict)


def _weights(run: Run) -> None:
    often, rarely, light = run.requests("often"), run.requests("rarely"), run.requests("light")
    assert often > 0 and rarely > 0 and light > 0
    assert 2.0 < often / rarely < 4.5, (often, rarely)
    # 3 Heavy users to 1 Light: Heavy's two tasks together outnumber Light's.
    assert (often + rarely) / light > 1.8, (often, rarely, light)


def _tags(run: Run) -> None:
    assert set(run.rows()) == {"home", "list"}


def _nested(run: Run) -> None:
    inner, outer = run.requests("inner"), run.requests("outer")
    assert inner > 0 and outer > 0  # interrupt() returned to Outer, which ran its own task


def _sequential(run: Run) -> None:
    by_user: dict[str, list[str]] = {}
    for line in run.log:
        user, step = line.split()
        by_user.setdefault(user, []).append(step)
    assert len(by_user) == 2
    cycle = ["1-cart", "2-address", "3-pay"]
    for steps in by_user.values():
        assert len(steps) >= 6 and steps == [cycle[i % 3] for i in range(len(steps))]


def _login(run: Run) -> None:
    assert run.requests("login") == 3  # once per user
    assert run.requests("profile") > 10 and run.report["totals"]["failures"] == 0


def _catch(run: Run) -> None:
    rows = run.rows()
    assert rows["expected-404"]["failures"] == 0 and rows["expected-404"]["requests"] > 0
    assert rows["wrong-body"]["failures"] == rows["wrong-body"]["requests"] > 0
    assert {e["error"] for e in run.report["errors"]} == {"body check failed"}


def _grouping(run: Run) -> None:
    assert list(run.rows()) == ["/bytes/[n]"] and run.requests("/bytes/[n]") > 50


def _custom_wait(run: Run) -> None:
    # 2 users, a task then 0.2 s: about 5/s each over ~1 s, never a busy loop.
    assert 4 <= run.requests("tick") <= 20, run.requests("tick")


def _shape(run: Run) -> None:
    starts = Counter(line for line in run.log if line.startswith("test_start"))
    assert starts == {"test_start master": 1, "test_start worker": 2}, starts
    # The shape went 2 -> 6 -> 3 users: the master saw each ramp complete.
    assert "spawned 6" in run.log and "spawned 3" in run.log
    assert [s["users"] for s in run.report["shape"]["stages"]] == [2, 6, 3]


def _listeners(run: Run) -> None:
    seen = Counter(" ".join(line.split()[:2]) for line in run.log)
    for event in ("init", "test_start", "test_stopping", "test_stop", "quitting"):
        assert seen[f"{event} master"] == 1 and seen[f"{event} worker"] == 2, (event, seen)
    assert seen["request first"] == 2  # one user per worker, one request each
    assert seen["quit 0"] == 3  # the master and both workers
    pids = {line.split()[1] for line in run.log if line.startswith("worker_report")}
    assert len(pids) == 2  # report_to_master's extra data reached worker_report from both


def _partition(run: Run) -> None:
    slices = [line.split() for line in run.log if line.startswith("slice")]
    assert sorted(s[1] for s in slices) == ["0", "1"] and {s[2] for s in slices} == {"2"}
    accounts = [a for s in slices for a in s[3].split(",")]
    assert sorted(accounts) == sorted(f"acct-{n}" for n in range(20))  # disjoint and complete
    users = [line.split() for line in run.log if line.startswith("user")]
    ids = [int(u[1]) for u in users]
    assert len(ids) == 6 and sorted(ids) == list(range(6))  # unique across both workers
    assert {u[2] for u in users} == {"0", "1"} and len({u[3] for u in users}) == 2
    assert all(int(u[1]) % 2 == int(u[2]) for u in users)
    assert run.report["totals"]["failures"] == 0 and run.requests("use account") > 0


def _messages(run: Run) -> None:
    assert "worker 0 got ['user0-0']" in run.log
    assert "worker 1 got ['user1-0', 'user1-1']" in run.log
    acks = sorted(line.split()[2] for line in run.log if line.startswith("master ack"))
    assert acks == ["0:1", "1:2"]
    assert run.requests("has data") > 0 and run.report["totals"]["failures"] == 0


def _stop_user(run: Run) -> None:
    assert run.requests("limited") == 3 * 3


def _seed_httplocust(run: Run) -> None:
    assert list(run.rows()) == ["/resources/UUID"] and run.report["totals"]["failures"] == 0
    # min_wait/max_wait 90..110 ms: at most ~11 tasks a second per user.
    assert 2 <= run.requests("/resources/UUID") <= 30
    for old in ("HttpLocust is deprecated", "'task_set = X' is deprecated", "'min_wait'/'max_wait'"):
        assert run.result.stderr.count(old) == 1, (old, run.result.stderr)


def _seed_catch(run: Run) -> None:
    assert run.requests("/jobs/ID") > 5 and run.report["totals"]["failures"] == 0


def _seed_async(run: Run) -> None:
    row = run.rows()["POST /things/ID - async"]
    assert row["requests"] > row["failures"] > 0  # some succeeded, the 10 ms ones timed out
    assert row["latency_ms"]["max"] >= 190  # a job is ACTIVE after 200 ms
    assert any("timed out after 0.01 seconds" in e["error"] for e in run.report["errors"])
    for old in ("events.request_success is deprecated", "events.request_failure is deprecated"):
        assert run.result.stderr.count(old) == 1, run.result.stderr


def _seed_is_master(run: Run) -> None:
    master = "init master=True worker=False role=master MasterRunner=True WorkerRunner=False"
    worker = "init master=False worker=True role=worker MasterRunner=False WorkerRunner=True"
    inits = Counter(line.split(" LocalRunner")[0] for line in run.log if line.startswith("init"))
    assert inits == {master: 1, worker: 2}
    assert all("LocalRunner=False Runner=True" in line for line in run.log if line.startswith("init"))
    assert run.log.count("master saves the report") == 1
    cleanups = sorted(line for line in run.log if "cleans up" in line)
    assert cleanups == ["worker 0 cleans up", "worker 1 cleans up"]


def _seed_hatching(run: Run) -> None:
    roles = Counter(line.split()[0] for line in run.log)
    assert roles == {"master": 1, "worker": 2}
    assert len({line.split()[2] for line in run.log}) == 3  # three different processes
    assert run.result.stderr.count("events.locust_start_hatching is deprecated") == 1
    assert run.result.stderr.count("events.master_start_hatching is deprecated") == 1


def _seed_event_hook(run: Run) -> None:
    assert run.log == ["handled 1 2", "sum 3"]
    assert run.result.stderr.count("events.EventHook is deprecated") == 1


def _fasthttp(run: Run) -> None:
    assert list(run.rows()) == ["fast"] and run.requests("fast") > 50
    assert run.report["user_errors"] == []  # RescheduleTask is control flow, not an error


def _options(run: Run) -> None:
    assert sorted(run.log) == ["master 7 eu", "worker 7 eu", "worker 7 eu"]


def _options_env(run: Run) -> None:
    assert sorted(run.log) == ["master 4 us", "worker 4 us"]


def _options_file(run: Run) -> None:
    # customer-count from the file (9), region from the command line over the file's "ap"
    assert sorted(run.log) == ["master 9 us", "worker 9 us", "worker 9 us"]


def _runner_api(run: Run) -> None:
    log = run.log
    assert log.count("init master True") == 1 and log.count("init worker True") == 2
    assert "master test_start True" in log  # test_start fires before the spawning, as Locust's
    assert "master spawned True 5 5" in log  # state, user_count, target_user_count
    assert "master clients 2 running,running 2 0" in log and "master beats True" in log
    assert "master node_users [2, 3]" in log
    assert sorted(x for x in log if x.startswith("worker ")) == ["worker 0 True 3", "worker 1 True 2"]
    worker_stats = sorted(x for x in log if x.startswith("worker_stats"))
    assert worker_stats == ["worker_stats 0 True", "worker_stats 1 True"]
    assert "master stats 0.0 True [('read', 'GET')]" in log
    sent = [x.split() for x in log if x.startswith("heartbeat_sent")]
    received = [x.split() for x in log if x.startswith("heartbeat_received")]
    assert len({s[1] for s in sent}) == 2 and all(s[-1] == "True" for s in sent + received)  # two pids
    assert {r[1] for r in received} == {s[2] for s in sent}  # each worker's beats reached the master
    assert "master_quit True 0" in log and log.count("worker_quit True True missing") == 2
    assert run.report["run"]["duration_s"] < 15  # runner.quit() ended it, not -t 30s


def _worker_quit(run: Run) -> None:
    # worker 1 quit (exit 0, no user left); the master moved all 4 users to worker 0
    master = ["master - quit 1 0", "master [(0, False, 4), (1, True, 0)] 4"]
    assert sorted(run.log) == [*master, "worker 0 quit 0 0", "worker 1 quit 0 0"]
    assert "worker 1 (host" in run.result.stderr and "lost: it quit (runner.quit()" in run.result.stderr


def _user_error(run: Run) -> None:
    (error,) = run.report["user_errors"]
    assert error["kind"] == "KeyError" and error["count"] == len(run.log) > 0
    assert set(run.log) == {"user_error KeyError True"} and run.requests("ok") > 0


def _markov(run: Run) -> None:
    allowed = {"home": {"browse"}, "browse": {"browse", "cart"}, "cart": {"home", "browse"}}
    by_user: dict[str, list[str]] = {}
    for line in run.log:
        user, step = line.split()
        by_user.setdefault(user, []).append(step)
    assert len(by_user) == 2
    for steps in by_user.values():
        assert steps[0] == "home" and len(steps) >= 20, steps[:5]
        assert all(b in allowed[a] for a, b in zip(steps, steps[1:], strict=False)), steps
    # browse -> browse 3 : browse -> cart 1
    pairs = [pair for steps in by_user.values() for pair in zip(steps, steps[1:], strict=False)]
    after_browse = Counter(b for a, b in pairs if a == "browse")
    assert 1.5 < after_browse["browse"] / max(after_browse["cart"], 1) < 6, after_browse


def _seed_events_module(run: Run) -> None:
    hatched = [line for line in run.log if line.startswith("worker hatching")]
    assert len(hatched) == 2 and len({line.split()[-1] for line in hatched}) == 2  # once per worker
    assert run.log.count("handled 1 2") == 2
    assert "events.locust_start_hatching is deprecated" in run.result.stderr


def _listener_stop_user(run: Run) -> None:
    assert run.requests("bad") == 2  # one per user: the listener stopped each at its first failure
    assert run.requests("after") == 0


def _pytest_style(run: Run) -> None:
    rows = run.rows()
    assert {"home", "missing", "echo"} <= set(rows), set(rows)
    assert all(row["failures"] == 0 for row in rows.values()), rows  # 404 marked success, echo asserted
    assert "echo ok" in run.log and run.report["user_errors"] == []


def _taskset_in_body(run: Run) -> None:
    forum, front = run.requests("forum thread"), run.requests("front page")
    assert forum > 0 and front > 0
    assert 1.5 < forum / front < 6, (forum, front)


def _rest_api(run: Run) -> None:
    rows = run.rows()
    assert rows["echo"]["requests"] > 5 and rows["echo"]["failures"] == 0
    assert rows["missing key"]["failures"] == rows["missing key"]["requests"] > 0
    assert rows["text body"]["failures"] == rows["text body"]["requests"] > 0
    stamped = rows["/anything?_=..."]
    assert stamped["requests"] > 5 and stamped["failures"] == 0
    by_name = {e["name"]: e["error"] for e in run.report["errors"]}
    assert set(by_name) == {"missing key", "text body"}, by_name
    assert by_name["missing key"].startswith("KeyError: 'no such key' at rest_api.py:")
    assert by_name["text body"].startswith("response is not JSON")
    assert run.report["user_errors"] == []  # the KeyError failed its request, it did not reach the task


def _catch_exception(run: Run) -> None:
    tries = Counter(run.log)
    for kind in ("plain", "fast"):
        assert tries[f"{kind} unjudged"] > 3 and run.requests(f"{kind} unjudged") == 0
        row = run.rows()[f"{kind} judged"]
        assert row["failures"] == row["requests"] == tries[f"{kind} judged"] > 3
    (error,) = run.report["user_errors"]
    assert error["kind"] == "KeyError" and error["count"] == len(run.log)
    assert {e["error"] for e in run.report["errors"]} == {"judged first"}


def _http_session(run: Run) -> None:
    assert run.requests("by hand") > 10 and run.rows()["by hand"]["failures"] == 0
    assert run.rows()["by hand 404"]["failures"] == run.requests("by hand 404") > 0
    assert {e["error"] for e in run.report["errors"]} == {"HTTPError 404: NOT FOUND"}


def _stats_api(run: Run) -> None:
    found = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in run.log if not line.startswith("worker")
    }
    totals = run.report["totals"]
    assert found["same"] == "True"  # runner.stats is a RequestStats, and environment.stats is it
    requests, failures, ratio = found["total"].split()
    assert (int(requests), int(failures)) == (totals["requests"], totals["failures"]) and int(failures) > 0
    assert float(ratio) == pytest.approx(totals["failures"] / totals["requests"], abs=1e-6)
    count, p95, top = found["home"].split()
    assert int(count) == run.requests("home") > 10 and 0 < float(p95) <= float(top)
    assert float(top) == pytest.approx(run.rows()["home"]["latency_ms"]["max"], abs=0.002)
    assert found["entries"] == "[('home', 'GET'), ('missing', 'GET')]"
    assert found["errors"] == f"[('missing', 'HTTPError 404: NOT FOUND', {run.requests('missing')})]"
    assert found["history"] == "3"
    seen = [int(line.split()[-1]) for line in run.log if line.startswith("worker sees")]
    assert len(seen) == run.requests("home") and min(seen) >= 1  # the request just made is in view
    assert run.result.stdout.count("Type Name ") == 3  # stats_printer: three rounds, then it ended


def _host_option(run: Run) -> None:
    host = run.report["run"]["host"]  # -H, as the command line took it
    assert host.startswith("http://127.0.0.1:")
    assert f"master {host} {host} {host}" in run.log  # the master's classes, -H in each
    seen = Counter(line.rsplit(" ", 1)[0] for line in run.log if line.startswith("user "))
    assert seen["user Plain"] > 0 and seen["user Own"] > 0  # both classes ran, on either worker
    assert {line.rsplit(" ", 1)[1] for line in run.log if line.startswith("user ")} == {host}


CASES: dict[str, Case] = {
    "weights": Case(_weights, ("-u", "4")),
    "tags": Case(_tags, ("-T", "browse", "-E", "slow")),
    "nested_interrupt": Case(_nested),
    "sequential": Case(_sequential),
    "on_start_login": Case(_login, ("-u", "3")),
    "catch_response": Case(_catch, code=1),
    "name_grouping": Case(_grouping),
    "custom_wait": Case(_custom_wait),
    "load_shape": Case(_shape, ("--processes", "2")),
    "event_listeners": Case(_listeners, ("--processes", "2")),
    "worker_partition": Case(_partition, ("--processes", "2", "-u", "6")),
    "custom_messages": Case(_messages, ("--processes", "2")),
    "stop_user": Case(_stop_user, ("-u", "3")),
    "seed_httplocust": Case(_seed_httplocust, ("-u", "1")),
    "seed_catch_response": Case(_seed_catch),
    "seed_async_polling": Case(_seed_async, code=1),
    # The Nobody users of these files send no request: the run says so and exits 1.
    "seed_is_master": Case(_seed_is_master, ("--processes", "2"), code=1),
    "seed_start_hatching": Case(_seed_hatching, ("--processes", "2")),
    "seed_event_hook": Case(_seed_event_hook, ("-u", "1"), code=1),
    "fasthttp": Case(_fasthttp),
    "custom_options": Case(_options, ("--processes", "2", "--customer-count", "7"), code=1),
    "custom_options_env": Case(_options_env, ("--region=us",), code=1, env={"CUSTOMER_COUNT": "4"}),
    "runner_api": Case(
        _runner_api, ("--processes", "2", "-u", "5", "-t", "30s", "--heartbeat-interval", "0.1")
    ),
    # the master counts a worker that quit as lost: exit code 1
    "worker_quit": Case(_worker_quit, ("--processes", "2", "-u", "4", "-t", "2s"), code=1),
    "custom_options_file": Case(
        _options_file,
        ("--processes", "2", "--config", "tests/compat/custom_options.toml", "--region", "us"),
        code=1,
    ),
    "user_error": Case(_user_error, code=1),  # an exception in a task exits 1, as Locust's does
    "markov": Case(_markov),
    "taskset_in_class_body": Case(_taskset_in_body),
    "pytest_style": Case(_pytest_style, ("--stop-timeout", "5")),
    "listener_stop_user": Case(_listener_stop_user, code=1),
    "seed_events_module": Case(_seed_events_module, ("--processes", "2"), code=1),  # no request made
    "rest_api": Case(_rest_api, ("-u", "4"), code=1),
    "catch_exception": Case(_catch_exception, ("-u", "4"), code=1),
    "http_session": Case(_http_session, code=1),
    "stats_api": Case(_stats_api, code=1),
    "host_option": Case(_host_option, ("--processes", "2")),
}


def _file_of(case: str) -> str:
    """A case's tasks file: ``custom_options_env`` runs ``custom_options.py`` another way."""
    return case.removesuffix("_env").removesuffix("_file")


@pytest.mark.parametrize("name", list(CASES))
def test_compat_file(name: str, tmp_path: Path, target: Target) -> None:
    case = CASES[name]
    path = COMPAT / f"{_file_of(name)}.py"
    log, report = tmp_path / "compat.log", tmp_path / "report.json"
    # --stop-timeout: users finish the request in hand, so none is cut short by the stop
    # ("interrupted at stop" is a failure) and "no failure" checks hold.
    args = ("-u", "2", "-r", "100", "-t", "1s", "--stop-timeout", "5", *case.args)
    common = ("-f", str(path), "-H", target.url, "--headless", "--no-web", "--json", str(report))
    result = run_fastswarm(*common, *args, env={"COMPAT_LOG": str(log), **case.env}, timeout=60)
    assert result.returncode == case.code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = log.read_text().splitlines() if log.exists() else []
    case.check(Run(result, json.loads(report.read_text()), lines))


def test_every_compat_file_is_run() -> None:
    files = {p.stem for p in COMPAT.glob("*.py")}
    # single_user, session_script, library_use(_web_ui) run as scripts (below); web_ui_* need the
    # status endpoint (test_web_extend_e2e.py)
    ran = {_file_of(name) for name in CASES}
    ran |= {"single_user", "session_script", "library_use", "library_web_ui", "web_ui_routes", "web_ui_clash"}
    assert files == ran and len(files) >= 20


def test_a_pytest_style_file_passes_under_pytest_with_the_plugins_fixtures(target: Target) -> None:
    path = str(COMPAT / "pytest_style.py")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path]
    with_host = [*command, "--host", target.url]
    ran = subprocess.run(with_host, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert ran.returncode == 0 and "2 passed" in ran.stdout, ran.stdout[-2000:]
    bare = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bare.returncode == 1 and "need a base URL: pytest --host" in bare.stdout, bare.stdout[-2000:]


def test_a_script_reports_through_an_environments_request_event(target: Target) -> None:
    result = subprocess.run(
        [sys.executable, str(COMPAT / "session_script.py"), target.url],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 4) for line in result.stdout.splitlines()]
    assert [(m, name, timed, outcome) for m, name, _, timed, outcome in lines] == [
        ("GET", "five", "True", "ok"),
        ("POST", "post", "True", "ok"),
        ("GET", "down", "True", "failed HTTPError 503: SERVICE UNAVAILABLE"),
        ("GET", "judged", "True", "failed not what I wanted"),
    ]
    lengths = [int(line[2]) for line in lines]
    assert lengths[0] == 5 and lengths[1] > 50 and lengths[3] == 2  # /anything describes the request


def test_run_single_user_prints_each_request(target: Target) -> None:
    result = subprocess.run(
        [sys.executable, str(COMPAT / "single_user.py"), target.url],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split()[:3] == ["type", "name", "resp_ms"]
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    assert [r[1] for r in rows] == ["step 1", "step 2", "step 3", "step 4"]  # StopUser ended it
    assert [int(r[3]) for r in rows] == [1, 2, 3, 4]  # include_length: /bytes/N is N bytes
    assert all(r[0] == "GET" and float(r[2]) > 0 for r in rows)


def _run_script(name: str, target: Target) -> dict[str, str]:
    """Run tests/compat/NAME against the target (reset first); its ``key value`` lines."""
    target.reset()
    result = subprocess.run(
        [sys.executable, str(COMPAT / name), target.url], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.strip())


def test_library_use_runs_the_engine_in_process_and_counts_exactly_what_was_served(target: Target) -> None:
    """Locust's "use as a library": Environment, create_local_runner, start, greenlet.join, env.stats."""
    seen = _run_script("library_use.py", target)
    requests = int(seen["requests"])
    assert requests > 20 and requests == target.served(), (seen, target.served())
    assert seen["page"] == seen["requests"] and seen["before"] == "0"
    # With a stop timeout no request is cut off, not even one of a user whose wait ends as the
    # stop kills it (it takes the kill before starting another task).
    assert seen["failures"] == "0 True" and seen["errors"] == "[]", seen
    assert seen["avg_ms_positive"] == "True" == seen["p95_ms_positive"]
    assert seen["users"] == "0 0" and seen["spawning_done"] == "True"  # quit() stopped every user
    assert seen["states"].replace(" stopping", "") == "spawning running stopped", seen["states"]
    assert seen["stopping_state"] == "stopping"
    assert seen["events"] == "1 1 5" and seen["stopped"] == "True True True"


def test_library_use_serves_the_web_ui_over_the_local_runner(target: Target) -> None:
    """env.create_web_ui over env.create_local_runner(): POST /swarm, /stop, /reset drive the
    runner, GET /stats counts what the target served, and the wrong calls are one line each."""
    seen = _run_script("library_web_ui.py", target)
    assert seen["no_runner"] == "create_web_ui: create the runner first: env.create_local_runner()"
    assert re.fullmatch(r"create_web_ui: auth_credentials: .*pass token='\.\.\.'.*", seen["basic_auth"])
    assert seen["csv_writer"].endswith("stats_csv_writer: the CSVs are served at /stats.csv and /errors.csv")
    assert re.fullmatch(r"create_web_ui: cannot listen on 127\.0\.0\.1:\d+: .* None", seen["busy_port"])
    assert seen["twice"] == "create_web_ui: this environment has a web UI already (env.web_ui)"
    assert seen["same_web_ui"] == "True True" and seen["before"] == "ready"
    assert seen["swarm"] == "200 True" and seen["rate"] == "400 rate"  # the open model is the CLI's
    requested, state, users, workers = seen["running"].split()
    assert requested == "True" and state in ("spawning", "running") and users == "3" and workers == "1"
    assert json.loads(seen["route"]) == {"hello": "ada", "users": 3}  # a tasks-file route on web_ui.app
    assert seen["stop"] == "200 stopped stopped"
    over_http, in_process, served = map(int, seen["totals"].split())
    assert over_http == in_process == served > 0  # what the target served up to the stop
    assert seen["worker"] == "local 0 stopped"  # one pseudo-worker: this process
    assert seen["reset"] == "200 0 0"
    assert seen["run_time"] == "True stopped None"  # POST /swarm's run_time stops the local runner
    assert seen["after_quit"] == "409" and seen["served_until_stop"] == "True"
    assert seen["token"] == "401 200"
