"""--find-capacity: the rate search itself (pure), and real searches against the built-in target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastswarm.config.check_expr import parse_check
from fastswarm.master.capacity import Step, StepStats, next_rate
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import StatsKey
from tests.conftest import Target, run_fastswarm


def _step(rate: float, verdict: str) -> Step:
    return Step(rate, verdict, {}, [], None, None, 0, 0)


def test_the_rate_doubles_until_a_step_breaks_then_bisects() -> None:
    steps: list[Step] = []
    assert next_rate(steps, 10, 1000, 2) == 10
    steps += [_step(10, "ok"), _step(20, "ok"), _step(40, "ok")]
    assert next_rate(steps, 10, 1000, 2) == 80
    steps.append(_step(80, "broken"))
    assert next_rate(steps, 10, 1000, 2) == 60
    steps.append(_step(60, "ok"))
    assert next_rate(steps, 10, 1000, 2) == 70
    steps.append(_step(70, "broken"))
    assert next_rate(steps, 10, 1000, 2) is None  # two bisections done


def test_the_search_stops_at_the_top_an_invalid_step_or_a_broken_first_step() -> None:
    assert next_rate([_step(600, "ok")], 300, 1000, 3) == 1000
    assert next_rate([_step(600, "ok"), _step(1000, "ok")], 300, 1000, 3) is None
    assert next_rate([_step(10, "ok"), _step(20, "invalid")], 10, 1000, 3) is None
    assert next_rate([_step(10, "broken")], 10, 1000, 3) is None


def test_a_step_measures_its_own_samples_exactly() -> None:
    from fastswarm.stats.model import EntryStats, IntervalStats

    hist = LatencyHistogram()
    for us in range(1000, 101_000, 1000):  # 1..100 ms
        hist.record(us)
    entry = EntryStats("GET", "/a", 100, 3, 0, hist.to_bytes())
    stats = StepStats(started_at=0.0)
    stats.add(IntervalStats(1.0, 2.0, (entry,)))
    assert stats.measure(parse_check("p99<1s")) == pytest.approx(hist.percentile(99) / 1000)
    assert stats.measure(parse_check("fail_ratio<1%")) == pytest.approx(0.03)
    assert stats.measure(parse_check("GET /b:p50<1")) is None  # no sample for that endpoint
    assert stats.requests == {StatsKey("GET", "/a"): 100}


TASKS = """
from fastswarm import FastHttpUser, task

class Caller(FastHttpUser):
    @task
    def slow(self):
        self.client.get("/delay/50", name="/delay")
"""


def _search(target: Target, tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    tasks, report = tmp_path / "tasks.py", tmp_path / "report.json"
    tasks.write_text(TASKS)
    result = run_fastswarm(
        "-f", str(tasks), "-H", target.url, "--headless", "--no-web", "--find-capacity",
        "--capacity-step-time", "2s", "--json", str(report), *args, timeout=120,
    )  # fmt: skip
    data = json.loads(report.read_text()) if report.exists() else {}
    return result.returncode, data, result.stdout + result.stderr


def test_a_pool_of_4_users_on_a_50_ms_endpoint_knees_below_80_per_s(target: Target, tmp_path: Path) -> None:
    # 4 users x 1/0.05 s = 80 iterations/s at best: past it arrivals are dropped and the step breaks.
    code, report, out = _search(
        target, tmp_path, "--max-users", "4", "--slo", "fail_ratio<1%", "--capacity-rates", "10:640",
        "--capacity-bisect", "1",
    )  # fmt: skip
    capacity = report["capacity"]
    steps = capacity["steps"]
    if steps[0]["verdict"] == "invalid":  # a machine too busy to drive even 10/s: no knee, said so
        assert code == 3 and capacity["knee_rate"] is None and "generator saturated" in steps[0]["reasons"][0]
        return
    assert code == 0, out[-3000:]
    first_not_ok = next(i for i, s in enumerate(steps) if s["verdict"] != "ok")
    assert [s["rate"] for s in steps[: first_not_ok + 1]] == [10 * 2**i for i in range(first_not_ok + 1)]
    assert capacity["knee_rate"] < 80, capacity
    if not capacity["lower_bound_only"]:  # no step was cut short by a saturated generator
        assert capacity["knee_rate"] >= 20, capacity
    ended = [s for s in capacity["steps"] if s["verdict"] != "ok"]
    assert ended and all(s["rate"] > capacity["knee_rate"] for s in ended), capacity
    # Broken by dropped arrivals; on a box busy enough to trip the self-check, invalid instead.
    for step in ended:
        expected = "arrivals dropped" if step["verdict"] == "broken" else "generator saturated"
        assert any(expected in reason for reason in step["reasons"]), step
    assert capacity["lower_bound_only"] == (ended[-1]["verdict"] == "invalid")
    assert f"Knee: {capacity['knee_rate']:g} iterations/s" in out


def test_no_rate_meeting_the_slo_is_exit_3(target: Target, tmp_path: Path) -> None:
    code, report, out = _search(target, tmp_path, "--slo", "p99<1ms", "--capacity-rates", "10:40")
    assert code == 3, out[-3000:]
    assert report["capacity"]["knee_rate"] is None and len(report["capacity"]["steps"]) == 1
    assert "No rate met every SLO" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--find-capacity",), "needs at least one --slo"),
        (("--slo", "p99<1s"), "--slo: only used with --find-capacity"),
        (("--find-capacity", "--slo", "p99<<1"), "--check 'p99<<1'"),
        (("--find-capacity", "--slo", "p99<1s", "--rate", "5"), "drop --rate"),
        (("--find-capacity", "--slo", "p99<1s", "--capacity-rates", "100:10"), "MAX 10 is below START 100"),
    ],
)
def test_bad_capacity_options_are_exit_2(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.py"
    tasks.write_text(TASKS)
    result = run_fastswarm("-f", str(tasks), "-H", "http://127.0.0.1:9", "--headless", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_one_lag_spike_does_not_invalidate_a_step_but_a_saturated_step_does() -> None:
    from fastswarm.master.capacity import Saturation

    spike = Saturation()
    for lag in (63.0, 4.0, 5.0, 3.0):
        spike.observe([("0", 20.0, lag)])
    assert not spike.limited and spike.reason == "worker 0 event-loop lag 63 ms > 50 ms"
    busy = Saturation()
    for cpu in (95.0, 97.0, 40.0):
        busy.observe([("0", 30.0, 1.0), ("1", cpu, 1.0)])
    assert busy.limited and busy.reason == "worker 1 CPU 95% > 90%"


def test_saturation_judges_by_the_limits_it_is_given() -> None:
    from fastswarm.master.capacity import Saturation

    strict = Saturation(cpu_limit=50.0, lag_limit_ms=10.0)
    strict.observe([("0", 60.0, 1.0)])
    strict.observe([("0", 20.0, 12.0)])
    assert strict.limited and strict.reason == "worker 0 CPU 60% > 50%"
    assert strict.saturated == 2
