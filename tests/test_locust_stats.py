"""Locust's statistics names (``fastswarm.stats.RequestStats`` ...) over a Recorder and an Aggregator."""

from __future__ import annotations

import io
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from fastswarm.stats import locust_console
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.locust_api import RequestStats, StatsEntry, StatsError
from fastswarm.stats.locust_console import print_stats, stats_history, stats_printer
from fastswarm.stats.recorder import Recorder


def _recorder() -> Recorder:
    rec = Recorder()
    for ms in range(1, 101):  # 1..100 ms
        rec.record("GET", "/a", ms * 1000, 10)
    rec.record("POST", "/b", 5000, 3, "HTTPError 500: oops")
    rec.record("POST", "/b", 7000, 3)
    return rec


def test_the_package_serves_locusts_names_lazily() -> None:
    import fastswarm.stats as stats

    assert stats.RequestStats is RequestStats and stats.StatsEntry is StatsEntry
    assert stats.StatsError is StatsError and stats.stats_printer is stats_printer
    assert stats.stats_history is stats_history and stats.print_stats is print_stats
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        stats.Nope  # noqa: B018
    code = "import fastswarm.stats, sys; print([m for m in sys.modules if m.startswith('fastswarm.stats.')])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert loaded.stdout.strip() == "[]"  # importing the package loads none of its modules


def test_a_recorders_interval_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = _recorder()
    stats = RequestStats.from_recorder(rec)
    assert set(stats.entries) == {("/a", "GET"), ("/b", "POST")}
    a = stats.get("/a", "GET")
    assert (a.num_requests, a.num_failures, a.fail_ratio, a.total_content_length) == (100, 0, 0.0, 1000)
    assert a.min_response_time == 1.0 and a.max_response_time == pytest.approx(100.0, rel=1e-3)
    assert a.avg_response_time == pytest.approx(50.5, rel=1e-3)
    assert a.median_response_time == pytest.approx(50.0, rel=1e-3)
    assert a.get_response_time_percentile(0.95) == pytest.approx(95.0, rel=1e-3)
    assert a.get_response_time_percentile(0) == 1.0 and a.avg_content_length == 10.0
    assert a.current_rps > 0 and a.get_current_response_time_percentile(0.5) is None
    total = stats.total
    assert (total.name, total.method, total.num_requests, total.num_failures) == ("Aggregated", "", 102, 1)
    assert total.fail_ratio == pytest.approx(1 / 102) and stats.num_requests == 102
    assert total.max_response_time == pytest.approx(100.0, rel=1e-3)
    [error] = stats.errors.values()
    assert (error.method, error.name, error.error, error.occurrences) == (
        "POST",
        "/b",
        "HTTPError 500: oops",
        1,
    )
    assert stats.errors == {StatsError.create_key("POST", "/b", "HTTPError 500: oops"): error}
    rec.take_interval()  # shipped to the master: a worker's view starts again, as Locust's does
    assert stats.total.num_requests == 0 and stats.entries == {} and stats.errors == {}


def test_an_entry_nothing_was_recorded_under() -> None:
    empty = RequestStats(Recorder()).get("/none", "GET")
    assert (empty.num_requests, empty.fail_ratio, empty.avg_response_time) == (0, 0.0, 0.0)
    assert empty.min_response_time is None and empty.get_response_time_percentile(0.5) == 0.0


def test_the_masters_merged_run() -> None:
    agg = Aggregator()
    agg.start(1000.0)
    first, second = _recorder(), _recorder()
    agg.add("w1", first.take_interval(now=1001.0))
    agg.add("w2", second.take_interval(now=1001.0))
    stats = RequestStats.from_aggregator(agg)
    a = stats.entries[("/a", "GET")]
    assert (a.num_requests, a.num_failures, a.total_content_length) == (200, 0, 2000)
    assert a.get_response_time_percentile(0.95) == pytest.approx(95.0, rel=1e-3)
    assert a.median_response_time == pytest.approx(50.0, rel=1e-3) and a.start_time == 1000.0
    assert a.get_current_response_time_percentile(0.95) is not None
    total = stats.total
    assert (total.num_requests, total.num_failures) == (204, 2) and total.fail_ratio == pytest.approx(2 / 204)
    assert total.get_response_time_percentile(1.0) == pytest.approx(100.0, rel=1e-3)
    [error] = stats.errors.values()
    assert error.occurrences == 2 and error.to_name() == "POST /b: HTTPError 500: oops"


def test_print_stats_and_the_printer_greenlet_function() -> None:
    stats = RequestStats(_recorder())
    out = io.StringIO()
    stats_printer(stats, interval=0.01, rounds=2, out=out)()
    tables = out.getvalue().strip().split("\n\n")
    assert len(tables) == 2
    lines = tables[0].splitlines()
    assert lines[0].startswith("Type Name") and "# fails" in lines[0] and "req/s" in lines[0]
    assert lines[2].startswith("GET /a ") and lines[3].startswith("POST /b ") and " 1(50.00%)" in lines[3]
    assert lines[-1].startswith("Aggregated ") and " 102 " in lines[-1]


def test_the_printer_runs_as_a_greenlet() -> None:
    import gevent

    out = io.StringIO()
    ticks: list[int] = []
    printer = gevent.spawn(stats_printer(RequestStats(Recorder()), interval=0.02, rounds=3, out=out))
    other = gevent.spawn(lambda: [ticks.append(i) or gevent.sleep(0.01) for i in range(3)])
    gevent.joinall([printer, other], timeout=5)
    assert printer.successful() and out.getvalue().count("Aggregated") == 3 and ticks == [0, 1, 2]


def test_stats_history_appends_while_a_test_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    runner: Any = SimpleNamespace(stats=RequestStats(_recorder()), state="running", user_count=4)
    stats_history(runner, interval=0.01, rounds=3)
    history = runner.stats.history
    assert len(history) == 3
    point = history[-1]
    assert point["user_count"][1] == 4 and point["current_rps"][1] > 0
    assert point["total_avg_response_time"][1] == pytest.approx(49.6, rel=1e-2)
    assert set(point) == {
        "time",
        "current_rps",
        "current_fail_per_sec",
        "total_avg_response_time",
        "user_count",
        "response_time_percentile_0.5",
        "response_time_percentile_0.95",
    }
    runner.state = SimpleNamespace(value="stopped")  # an enum state, as the master's RunState
    stats_history(runner, interval=0.01, rounds=2)
    assert len(history) == 3
    runner.state = "running"
    monkeypatch.setattr(locust_console, "HISTORY_LIMIT", 2)
    stats_history(runner, interval=0.01, rounds=3)
    assert len(history) == 2  # the oldest points are dropped


# -- wrong inputs --


@pytest.mark.parametrize("source", [object(), None, "aggregator"])
def test_request_stats_reads_only_an_aggregator_or_a_recorder(source: Any) -> None:
    with pytest.raises(TypeError, match="reads the master's Aggregator or a worker's Recorder"):
        RequestStats(source)


def test_get_takes_two_strings() -> None:
    with pytest.raises(TypeError, match=r"get\(name, method\) takes two strings"):
        RequestStats(Recorder()).get("GET", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("percent", [95, -0.1, 1.5, "0.5", True])
def test_percentiles_are_fractions(percent: Any) -> None:
    entry = RequestStats(_recorder()).total
    with pytest.raises(ValueError, match="percent is a fraction from 0 to 1"):
        entry.get_response_time_percentile(percent)
    with pytest.raises(ValueError, match="percent is a fraction from 0 to 1"):
        entry.get_current_response_time_percentile(percent)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval": 0}, "interval must be a number of seconds > 0"),
        ({"interval": "2"}, "interval must be a number of seconds > 0"),
        ({"rounds": 0}, "rounds must be a whole number >= 1"),
        ({"rounds": 1.5}, "rounds must be a whole number >= 1"),
    ],
)
def test_loop_arguments_are_checked_before_any_loop(kwargs: dict[str, Any], message: str) -> None:
    runner: Any = SimpleNamespace(stats=RequestStats(Recorder()), state="running", user_count=0)
    with pytest.raises(ValueError, match=message):
        stats_printer(runner.stats, **kwargs)
    with pytest.raises(ValueError, match=message):
        stats_history(runner, **kwargs)


def test_loops_want_request_stats() -> None:
    with pytest.raises(TypeError, match="stats_printer takes a RequestStats, got Recorder"):
        stats_printer(Recorder())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="runner whose .stats is a RequestStats, got object"):
        stats_history(object())


def test_a_worker_may_build_its_view_without_loading_master_code() -> None:
    """``runner.stats`` on a worker will be a RequestStats over its recorder: following every
    import from these modules (the layering test's graph) never reaches the aggregator."""
    from tests.test_layering import GRAPH

    reached, todo = set(), ["fastswarm.stats", "fastswarm.stats.locust_api", "fastswarm.stats.locust_console"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(GRAPH[module])
    assert "fastswarm.stats.locust_console" in GRAPH["fastswarm.stats"]  # the lazy names are followed
    assert "fastswarm.stats.aggregator" not in reached
