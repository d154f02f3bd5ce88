"""--check thresholds: parsing, judging merged stats, and the exit codes through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastswarm.config.settings import Config
from fastswarm.exceptions import ConfigError
from fastswarm.master.checks import Check, evaluate, format_results, lost_for_good, measure, parse_check
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.recorder import Recorder
from tests.conftest import Target, run_fastswarm


@pytest.mark.parametrize(
    ("expr", "metric", "op", "threshold", "method", "name"),
    [
        ("p99<250ms", "p99", "<", 250.0, None, None),
        ("p99 < 0.25s", "p99", "<", 250.0, None, None),
        ("p99.9<=1500us", "p99.9", "<=", 1.5, None, None),
        ("p50>=3", "p50", ">=", 3.0, None, None),
        ("avg==2", "mean", "==", 2.0, None, None),
        ("max<1s", "max", "<", 1000.0, None, None),
        ("fail_ratio<0.01", "fail_ratio", "<", 0.01, None, None),
        ("fail_ratio<2%", "fail_ratio", "<", 0.02, None, None),
        ("rps>1000", "rps", ">", 1000.0, None, None),
        ("failures==0", "failures", "==", 0.0, None, None),
        ("requests>=1e3", "requests", ">=", 1000.0, None, None),
        ("GET /items/{id}:p95<100ms", "p95", "<", 100.0, "GET", "/items/{id}"),
        ("/items/{id}:failures<1", "failures", "<", 1.0, None, "/items/{id}"),
        ("/a:b:max<5", "max", "<", 5.0, None, "/a:b"),
    ],
)
def test_parse(
    expr: str, metric: str, op: str, threshold: float, method: str | None, name: str | None
) -> None:
    check = parse_check(expr)
    assert (check.metric, check.op, check.method, check.name) == (metric, op, method, name)
    assert check.threshold == pytest.approx(threshold)


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("p99<<250", "expected [ENDPOINT:]METRIC OP VALUE"),
        ("p99", "expected [ENDPOINT:]METRIC OP VALUE"),
        ("p99<fast", "expected [ENDPOINT:]METRIC OP VALUE"),
        ("latency<3", "unknown metric 'latency'"),
        ("p99<3h", "unknown unit 'h'"),
        ("rps>10ms", "rps takes no unit"),
        ("p0<1", "percentile must be above 0"),
        ("  :p99<1", "endpoint before ':' is empty"),
    ],
)
def test_bad_expressions_are_config_errors(expr: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_check(expr)
    assert why in str(info.value)
    assert str(info.value).startswith(f"--check {expr!r}")
    assert info.value.exit_code == 2


def test_config_rejects_a_bad_check_when_built() -> None:
    with pytest.raises(ConfigError, match="unknown metric"):
        Config(checks=("p99<1", "speed>3"))
    assert Config(checks=("p99<1",)).checks == ("p99<1",)


def _aggregator() -> Aggregator:
    """Two endpoints over 2 s: GET /a 1..100 ms (100 requests), POST /b 10 ms, 5 of 20 failing."""
    rec = Recorder()
    rec.reset(now=100.0)
    for ms in range(1, 101):
        rec.record("GET", "/a", ms * 1000, 10)
    for i in range(20):
        rec.record("POST", "/b", 10_000, 10, "boom" if i < 5 else None)
    rec.record("GET", "/b", 30_000, 10)
    agg = Aggregator()
    agg.start(100.0)
    agg.add("w0", rec.take_interval(now=102.0))
    return agg


@pytest.mark.parametrize(
    ("expr", "actual"),
    [
        ("requests>0", 121.0),
        ("failures<1", 5.0),
        ("rps>0", 60.5),
        ("fail_ratio<1", 5 / 121),
        ("GET /a:p50<1", 50.0),
        ("GET /a:max<1", 100.0),
        ("GET /a:min<0", 1.0),
        ("GET /a:mean<0", 50.5),
        ("GET /a:requests<0", 100.0),
        ("POST /b:fail_ratio<0", 0.25),
        ("/b:requests<0", 21.0),  # the name alone: both methods
        ("/b:max<0", 30.0),
        ("/b:rps<0", 10.5),
    ],
)
def test_measure(expr: str, actual: float) -> None:
    assert measure(parse_check(expr), _aggregator()) == pytest.approx(actual, rel=0.002)


def test_evaluate_pass_fail_and_unmeasurable() -> None:
    agg = _aggregator()
    results = evaluate([parse_check(e) for e in ("p99<250ms", "fail_ratio<0.01", "GET /nope:p99<1s")], agg)
    assert [r.passed for r in results] == [True, False, False]
    assert results[2].actual is None
    text = format_results(results)
    assert text.splitlines()[0] == "Checks: 1 of 3 passed"
    assert "PASS  p99<250ms  (p99 = " in text
    assert "FAIL  fail_ratio<0.01  (fail_ratio = 0.0413" in text
    assert "FAIL  GET /nope:p99<1s  (no requests to GET /nope)" in text
    assert results[1].to_json() == {
        "expr": "fail_ratio<0.01",
        "metric": "fail_ratio",
        "endpoint": None,
        "op": "<",
        "threshold": 0.01,
        "unit": "",
        "actual": pytest.approx(5 / 121),
        "passed": False,
    }
    assert format_results([]) == ""


def test_latency_checks_fail_when_there_is_no_sample() -> None:
    agg = Aggregator()
    (result,) = evaluate([parse_check("p99<1s")], agg)
    assert (result.actual, result.passed) == (None, False)
    (result,) = evaluate([parse_check("failures==0")], agg)
    assert (result.actual, result.passed) == (0.0, True)


def test_only_final_failures_abort_mid_run() -> None:
    agg = _aggregator()
    exprs = (
        "failures<5",
        "requests<=100",
        "GET /a:max<50",
        "GET /a:min>2",
        "p99<1",
        "fail_ratio<0.01",
        "rps<1",
    )
    lost = lost_for_good([parse_check(e) for e in exprs], agg)
    # p99, fail_ratio and rps fail now, but more traffic could still bring them back.
    assert [r.check.expr for r in lost] == ["failures<5", "requests<=100", "GET /a:max<50", "GET /a:min>2"]
    assert lost_for_good([parse_check("failures<6"), parse_check("failures>100")], agg) == []


def test_check_failed_for_good_by_operator() -> None:
    failures = Check("f", "failures", "==", 0.0)
    assert failures.failed_for_good(1.0) and not failures.failed_for_good(0.0)
    at_least = Check("f", "failures", ">=", 10.0)
    assert not at_least.failed_for_good(1.0)  # could still reach 10
    assert not Check("m", "min", "<", 1.0).failed_for_good(5.0)  # min can still fall


# -- through the real command line --

TASKS = """
from fastswarm import HttpUser, task, constant

class Reader(HttpUser):
    wait_time = constant(0.02)

    @task
    def item(self):
        self.client.get(f"/bytes/{self.user_id % 3}", name="/bytes/{n}")
"""

FAILING = """
from fastswarm import HttpUser, task, constant

class Failing(HttpUser):
    wait_time = constant(0.02)

    @task
    def broken(self):
        self.client.get("/status/500")
"""


def _run(tmp_path: Path, target: Target, *args: str, tasks: str = TASKS) -> tuple[int, str, str, dict]:
    (tmp_path / "tasks.py").write_text(tasks)
    common = ("-H", target.url, "--headless", "--no-web", "-u", "2", "-r", "20", "--json", "r.json")
    common += ("--stop-timeout", "5")  # no request cut by the stop ("interrupted at stop" fails)
    result = run_fastswarm(*common, *args, cwd=tmp_path, timeout=60)
    path = tmp_path / "r.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    return result.returncode, result.stdout, result.stderr, report


def test_passing_checks_exit_0_and_are_reported(tmp_path: Path, target: Target) -> None:
    code, out, err, report = _run(
        tmp_path, target, "-t", "2s", "--check", "p99<5s", "--check", "GET /bytes/{n}:requests>5"
    )
    assert code == 0, err
    assert "Checks: 2 of 2 passed" in out
    assert out.index("Checks:") > out.index("Aggregated")  # after the summary
    checks = report["checks"]
    assert [(c["expr"], c["passed"]) for c in checks] == [
        ("p99<5s", True),
        ("GET /bytes/{n}:requests>5", True),
    ]
    assert checks[0]["threshold"] == 5000.0 and checks[0]["unit"] == "ms"
    assert checks[0]["actual"] == report["totals"]["latency_ms"]["p99"]
    assert checks[1]["endpoint"] == "GET /bytes/{n}"
    assert checks[1]["actual"] == report["endpoints"][0]["requests"]


def test_failing_check_exits_3(tmp_path: Path, target: Target) -> None:
    code, out, err, report = _run(tmp_path, target, "-t", "1s", "--check", "rps>1000000", "--check", "p99<5s")
    assert code == 3, err
    assert "FAIL  rps>1000000  (rps = " in out
    assert [c["passed"] for c in report["checks"]] == [False, True]
    assert report["totals"]["failures"] == 0


def test_failed_check_wins_over_failed_requests(tmp_path: Path, target: Target) -> None:
    code, _, err, report = _run(tmp_path, target, "-t", "1s", "--check", "fail_ratio<0.5", tasks=FAILING)
    assert code == 3, err
    assert report["totals"]["failures"] > 0
    code, _, err, _ = _run(tmp_path, target, "-t", "1s", "--check", "fail_ratio>0.5", tasks=FAILING)
    assert code == 1, err  # the check passed; the failed requests still count


def test_bad_expression_exits_2_before_any_load(tmp_path: Path, target: Target) -> None:
    before = target.served()
    code, _, err, report = _run(tmp_path, target, "-t", "1s", "--check", "p99<<3")
    assert code == 2
    assert err.strip().splitlines() == [
        "fastswarm: error: --check 'p99<<3': expected [ENDPOINT:]METRIC OP VALUE, "
        "e.g. 'p99<250ms', 'fail_ratio<0.01', 'GET /items/{id}:p95<100ms'"
    ]
    assert report == {}
    assert target.served() == before


def test_check_abort_stops_the_run_early(tmp_path: Path, target: Target) -> None:
    code, _, err, report = _run(
        tmp_path, target, "-t", "60s", "--check", "failures<3", "--check-abort", tasks=FAILING
    )
    assert code == 3, err
    assert "fastswarm: check failed, stopping the run: FAIL  failures<3" in err
    assert report["aborted_by_check"] == "failures<3"
    assert report["run"]["duration_s"] < 30  # far less than -t 60s
    assert report["checks"][0]["passed"] is False


def test_checks_from_the_config_file(tmp_path: Path, target: Target) -> None:
    (tmp_path / "fastswarm.toml").write_text('check = ["requests<1"]\n')
    code, out, err, report = _run(tmp_path, target, "-t", "1s")
    assert code == 3, err
    assert "FAIL  requests<1" in out
    (tmp_path / "fastswarm.toml").write_text('check = "requests>0"\n')  # one expression, as a string
    code, out, err, _ = _run(tmp_path, target, "-t", "1s")
    assert code == 0, err
    assert "PASS  requests>0" in out
    (tmp_path / "fastswarm.toml").write_text('check = ["p99 <"]\n')
    code, _, err, _ = _run(tmp_path, target, "-t", "1s")
    assert code == 2 and "--check 'p99 <'" in err
