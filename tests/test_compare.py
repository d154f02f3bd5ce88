"""fastswarm compare: two real runs (one against a slowed endpoint), compared from their HDR histograms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastswarm.exception import ConfigError
from fastswarm.stats.compare import compare, judge, parse_rule
from fastswarm.stats.report_histograms import read_histograms
from tests.conftest import Target, run_fastswarm

TASKS = """
import os
from fastswarm import FastHttpUser, constant, task

DELAY = os.environ["COMPARE_DELAY_MS"]

class Caller(FastHttpUser):
    wait_time = constant(0.01)

    @task
    def slow(self):
        self.client.get(f"/delay/{DELAY}", name="/delay")
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, target: Target) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("compare")
    tasks = folder / "tasks.py"
    tasks.write_text(TASKS)
    out = {}
    for label, delay in (("base", "5"), ("slow", "40")):
        report = folder / f"{label}.json"
        result = run_fastswarm(
            "-f", str(tasks), "-H", target.url, "--headless", "--no-web", "-u", "4", "-r", "100", "-t", "2s",
            "--json", str(report), env={"COMPARE_DELAY_MS": delay}, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        out[label] = report
    return out


def test_the_report_carries_histograms_that_match_its_counts(runs: dict[str, Path]) -> None:
    report = json.loads(runs["base"].read_text())
    histograms = read_histograms(report)
    assert histograms[None].count == report["totals"]["requests"] > 0
    (key,) = [k for k in histograms if k is not None]
    p50_ms = report["endpoints"][0]["latency_ms"]["p50"]
    assert histograms[key].percentile(50) / 1000 == pytest.approx(p50_ms, rel=0.01)


def test_a_slower_candidate_breaks_a_p99_rule_and_exits_3(runs: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "compare.html"
    result = run_fastswarm(
        "compare", str(runs["base"]), str(runs["slow"]), "--max-regression", "p99:+10%",
        "--max-regression", "/delay:p50:+20ms", "--html", str(page), timeout=30,
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "FAIL  p99:+10%  (Aggregated p99 +" in result.stdout
    assert "FAIL  /delay:p50:+20ms  (GET /delay p50 +" in result.stdout
    text = page.read_text()
    assert text.count("<polyline") == 4 and "candidate" in text  # two curves for Aggregated and /delay


def test_the_same_run_compared_with_itself_passes(runs: dict[str, Path]) -> None:
    result = run_fastswarm("compare", str(runs["base"]), str(runs["base"]), "--max-regression", "p99:+0%")
    assert result.returncode == 0 and "PASS  1 regression rule(s)" in result.stdout, result.stdout
    comparison = compare(*(json.loads(runs["base"].read_text()),) * 2)
    assert all(r.base == r.candidate for r in comparison.rows)


def test_the_rps_rule_looks_for_a_drop(runs: dict[str, Path]) -> None:
    reports = [json.loads(runs[k].read_text()) for k in ("base", "slow")]
    comparison = compare(*reports)
    assert comparison.rows[0].candidate.rps < 0.8 * comparison.rows[0].base.rps
    assert judge(comparison, [parse_rule("rps:-10%")])  # the slow run made fewer requests per second
    assert not judge(comparison, [parse_rule("rps:+10%")])  # a drop is not a rise


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ('{"a": 1}', "not a fastswarm JSON report"),
        ('{"run": {"duration_s": 1}, "endpoints": [], "totals": {}}', "has no histograms"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(
    tmp_path: Path, content: str | None, message: str, runs: dict[str, Path]
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    result = run_fastswarm("compare", str(runs["base"]), str(bad))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("rule", ["p99", "p99:10%", "p42x:+1%", "rps:+5ms", "p99:+ten%"])
def test_bad_rules_are_config_errors(rule: str) -> None:
    with pytest.raises(ConfigError):
        parse_rule(rule)
