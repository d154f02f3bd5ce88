"""The pieces behind the status endpoint, without processes: metrics text, HTML, HDR log, /swarm checks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
from prometheus_client.parser import text_string_to_metric_families

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.hdr_log import HdrLogWriter
from fastswarm.stats.hdr_sparse import SparseCounts
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.html_report import build_html_report
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats
from fastswarm.stats.prometheus import RunGauges, render_metrics
from fastswarm.stats.report import RunInfo
from fastswarm.web.control import ControlError
from fastswarm.web.swarm import parse_swarm


def _interval(
    t: float, samples_us: list[int], name: str = '/a "quoted"\\path', failures: int = 0
) -> IntervalStats:
    h = LatencyHistogram()
    for us in samples_us:
        h.record(us)
    entry = EntryStats("GET", name, len(samples_us), failures, 10 * len(samples_us), h.to_bytes())
    errors = (ErrorStats("GET", name, "HTTPError 500", failures),) if failures else ()
    return IntervalStats(t, t + 1.0, (entry,), errors)


def _aggregator() -> Aggregator:
    agg = Aggregator()
    t = time.time() - 5
    agg.start(t)
    agg.add("w0", _interval(t, [300, 800, 1500, 1500, 40_000], failures=1))
    agg.add("w1", _interval(t + 1, [2_000_000, 900], name="/b"))
    return agg


def test_count_at_or_below_matches_a_direct_count() -> None:
    h = LatencyHistogram()
    # 2502: above 2 µs buckets start at even values, so 2501 would share 2500's bucket
    values = [1, 5, 999, 1000, 1001, 2500, 2502, 70_000, 3_000_000]
    for v in values:
        h.record(v)
    bounds = [0, 1, 1000, 2500, 100_000, 10**10]
    assert h.count_at_or_below(bounds) == [sum(v <= b for v in values) for b in bounds]
    assert LatencyHistogram().count_at_or_below([5]) == [0]


def test_metrics_parse_and_buckets_are_cumulative_from_hdr() -> None:
    text = render_metrics(_aggregator(), RunGauges("running", 7, 10, 2, target_rate=50.0))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert all(f.type != "unknown" for f in families.values())
    requests = {s.labels["name"]: s.value for s in families["fastswarm_requests"].samples}
    assert requests == {'/a "quoted"\\path': 5, "/b": 2}
    failures = {s.labels["name"]: s.value for s in families["fastswarm_failures"].samples}
    assert failures['/a "quoted"\\path'] == 1
    hist = families["fastswarm_request_duration_seconds"].samples
    a_buckets = [
        (s.labels["le"], s.value) for s in hist if s.name.endswith("_bucket") and s.labels["name"] == "/b"
    ]
    counts = dict(a_buckets)
    assert counts["0.001"] == 1 and counts["1.0"] == 1 and counts["2.5"] == 2 and counts["+Inf"] == 2
    values = [v for _, v in a_buckets]
    assert values == sorted(values)
    gauges = {
        n: families[n].samples[0].value
        for n in ("fastswarm_users", "fastswarm_workers", "fastswarm_target_rate")
    }
    assert gauges == {"fastswarm_users": 7, "fastswarm_workers": 2, "fastswarm_target_rate": 50.0}
    states = {s.labels["state"]: s.value for s in families["fastswarm_state"].samples}
    assert states["running"] == 1 and sum(states.values()) == 1


def test_html_report_is_self_contained_with_three_charts_and_a_percentile_curve() -> None:
    agg = _aggregator()
    html = build_html_report(agg, RunInfo(time.time(), agg.duration_s, "http://127.0.0.1:1", 10, 2))
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4 and html.count("<polyline") == 7
    assert "<script" not in html and "http-equiv" not in html and 'src="' not in html and "href=" not in html
    assert "&quot;quoted&quot;" in html and "HTTPError 500" in html


def test_hdr_log_reads_back_with_hdrh(tmp_path: Path) -> None:
    path = tmp_path / "run.hlog"
    writer = HdrLogWriter(str(path))
    start = time.time()
    writer.open(start)
    h = LatencyHistogram()
    for us in (120, 4_500, 4_500, 2_000_000):
        h.record(us)
    counts = SparseCounts(*h.nonzero())
    writer.write_interval(start + 0.5, start + 1.5, counts)
    empty = SparseCounts(*LatencyHistogram().nonzero())
    writer.write_interval(start + 1.5, start + 2.5, empty)  # skipped
    writer.write_interval(start + 2.5, start + 3.5, counts)
    writer.close()
    reader = HistogramLogReader(str(path), HdrHistogram(1, 3_600_000_000, 3))
    read = []
    while (got := reader.get_next_interval_histogram()) is not None:
        read.append(got)
    assert [r.get_total_count() for r in read] == [4, 4]
    assert read[0].get_value_at_percentile(50) == h.percentile(50)
    assert read[1].get_start_time_stamp() == pytest.approx((start + 2.5) * 1000, abs=2)
    assert writer.intervals == 2


def test_parse_swarm_accepts_old_names_and_names_bad_fields() -> None:
    req = parse_swarm(
        {"locust_count": 5, "hatch_rate": 2.5, "run_time": "1m30s", "host": "http://x:1/"}, 1, 1.0
    )
    assert (req.users, req.spawn_rate, req.run_time, req.host, req.rate) == (5, 2.5, 90.0, "http://x:1", None)
    assert parse_swarm({}, 3, 4.0).users == 3
    for body, field in (
        ({"users": 1.5}, "users"),
        ({"users": True}, "users"),
        ({"spawn_rate": -1}, "spawn_rate"),
        ({"run_time": [1]}, "run_time"),
        ({"rate": 0}, "rate"),
        ({"host": 5}, "host"),
        ([], "body"),
    ):
        with pytest.raises(ControlError) as caught:
            parse_swarm(body, 1, 1.0)
        assert caught.value.field == field and str(caught.value).startswith(field)
