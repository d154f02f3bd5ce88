"""--otel in-process: the aggregator's merged counts re-bucketed into OTLP totals, the OTLP
data built from them, the endpoint's sources, and the import guard. Real pushes: test_otel.py."""

from __future__ import annotations

import random
import sys
import time
from types import SimpleNamespace
from typing import Any

import gevent
import pytest
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

import fastswarm.stats
from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.master.otel import OtelPusher, load_otel, resolve_endpoint
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import IntervalStats, StatsKey
from fastswarm.stats.otel import _reason, build_metrics_data
from fastswarm.stats.otel_totals import DEFAULT_BOUNDS_MS, EndpointTotals, OtelBuckets
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.recorder import Recorder

# On and around bucket bounds (0.5 ms, 1 ms, 2.5 ms, 60 s), below the first and above the last.
EDGES_US = [1, 499, 500, 501, 999, 1000, 1001, 2500, 2501, 59_999_000, 60_000_000, 61_000_000, 3_000_000_000]



def _all_totals(agg: Aggregator) -> list:  # type: ignore[type-arg]
    return [point for block in agg.run_counts() for point in OtelBuckets().totals(*block)]

def _interval(samples: dict[tuple[str, str], list[tuple[int, bool]]]) -> IntervalStats:
    """A worker's real interval: its Recorder fed (µs, failed) samples per (method, name)."""
    rec = Recorder()
    for (method, name), values in samples.items():
        for us, failed in values:
            rec.record(method, name, us, 10, "HTTPError 500" if failed else None)
    return rec.take_interval()


def _gauges(users: int = 0, rate: float | None = None) -> RunGauges:
    return RunGauges(state="running", users=users, target_users=users, workers=1, target_rate=rate)


def _totals(*intervals: IntervalStats) -> list[EndpointTotals]:
    agg = Aggregator()
    agg.start(0.0)
    for w, interval in enumerate(intervals):
        agg.add(f"w{w}", interval)
    return _all_totals(agg)


def test_totals_equal_the_merged_hdr_histogram_bucket_by_bucket() -> None:
    rng = random.Random(7)
    workers = []
    merged: dict[StatsKey, LatencyHistogram] = {}
    expected: dict[StatsKey, list[int]] = {}
    for w in range(3):
        samples: dict[tuple[str, str], list[tuple[int, bool]]] = {}
        for key in (("GET", "/a"), ("POST", "/b")):
            values = [(int(rng.lognormvariate(8, 1.5)), rng.random() < 0.2) for _ in range(400)]
            values += [(us, False) for us in EDGES_US] if w == 1 else []
            samples[key] = values
            hist = merged.setdefault(StatsKey(*key), LatencyHistogram())
            for us, _ in values:
                hist.record(us)
            counts = expected.setdefault(StatsKey(*key), [0, 0])
            counts[0] += len(values)
            counts[1] += sum(failed for _, failed in values)
        workers.append(_interval(samples))

    snapshot = {e.key: e for e in _totals(*workers)}
    assert set(snapshot) == set(merged)
    bounds_us = [int(b * 1000) for b in DEFAULT_BOUNDS_MS]
    for key, hist in merged.items():
        e = snapshot[key]
        assert [e.requests, e.failures] == expected[key]
        assert len(e.bucket_counts) == len(DEFAULT_BOUNDS_MS) + 1
        # OTLP buckets are per-bucket counts; Prometheus' le counts are their running sums.
        running = [sum(e.bucket_counts[: i + 1]) for i in range(len(bounds_us))]
        assert running == hist.count_at_or_below(bounds_us)
        assert sum(e.bucket_counts) == hist.count == e.requests
        assert e.sum_ms / sum(e.bucket_counts) == pytest.approx(hist.mean / 1000, rel=1e-12)
        assert (e.min_ms, e.max_ms) == (hist.min / 1000, hist.max / 1000)
    edges = snapshot[StatsKey("GET", "/a")].bucket_counts
    assert edges[-1] == 2  # only 61 s and 50 min lie above the last bound (60 s is in its bucket)


def test_totals_keep_counting_and_restart_with_the_stats() -> None:
    agg = Aggregator()
    agg.start(0.0)
    for second in range(3):
        names = {("GET", f"/n{i}"): [(1000 * (i + 1), i % 2 == 1)] for i in range(10 * (second + 1))}
        agg.add("w0", _interval(names))
    rows = _all_totals(agg)
    assert [e.key.name for e in rows] == [f"/n{i}" for i in range(30)]  # the order first seen
    assert rows[0].requests == 3 and rows[29].requests == 1
    assert rows[1].failures == 3 and rows[0].failures == 0
    # HDR's 3 digits: min is the bucket's lowest value, max its highest (as the reports say)
    assert rows[9].min_ms == 10.0 and rows[9].max_ms == pytest.approx(10.0, rel=1e-3)
    agg.add("w1", IntervalStats(0.0, 1.0, (), (), ()))  # an idle worker's interval changes nothing
    assert _all_totals(agg) == rows
    agg.reset(50.0)  # the web UI's reset, or a new test: the totals start again
    assert _all_totals(agg) == []
    agg.add("w0", _interval({("GET", "/n3"): [(700, False)]}))
    (again,) = _all_totals(agg)
    assert (again.key.name, again.requests, again.bucket_counts[1]) == ("/n3", 1, 1)


def test_bounds_must_increase() -> None:
    with pytest.raises(ValueError):
        OtelBuckets((1.0, 1.0, 5.0))
    with pytest.raises(ValueError):
        OtelBuckets(())


def _encoded(gauges: RunGauges) -> dict[str, list]:  # type: ignore[type-arg]
    totals = _totals(_interval({("GET", "/ok"): [(800, False), (3000, True)], ("POST", "/x"): [(40, False)]}))
    data = build_metrics_data(
        totals,
        gauges,
        DEFAULT_BOUNDS_MS,
        1_000,
        2_000,
        Resource.create({"service.name": "fastswarm"}),
        InstrumentationScope("fastswarm", "0"),
    )
    request = encode_metrics(data)
    (resource_metrics,) = request.resource_metrics
    (scope_metrics,) = resource_metrics.scope_metrics
    return {m.name: [m.unit, m] for m in scope_metrics.metrics}


def _attrs(point) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {kv.key: kv.value.string_value for kv in point.attributes}


def test_metrics_data_names_units_attributes_and_temporality() -> None:
    metrics = _encoded(_gauges(users=5))
    assert set(metrics) == {
        "fastswarm.request.duration",
        "fastswarm.requests",
        "fastswarm.request.failures",
        "fastswarm.users",
    }
    unit, duration = metrics["fastswarm.request.duration"]
    assert unit == "ms" and duration.histogram.aggregation_temporality == 2  # CUMULATIVE
    points = {_attrs(p)["fastswarm.name"]: p for p in duration.histogram.data_points}
    ok = points["/ok"]
    assert _attrs(ok) == {"http.request.method": "GET", "fastswarm.name": "/ok"}
    assert ok.count == 2 and list(ok.explicit_bounds) == list(DEFAULT_BOUNDS_MS)
    assert list(ok.bucket_counts)[:4] == [0, 1, 0, 1]  # 0.8 ms in (0.5, 1], 3 ms in (2.5, 5]
    assert (ok.min, ok.max) == (0.8, 3.001)  # 3 ms lies in the HDR bucket 3000..3001 µs
    assert (ok.start_time_unix_nano, ok.time_unix_nano) == (1_000, 2_000)

    requests = metrics["fastswarm.requests"][1].sum
    assert requests.is_monotonic and requests.aggregation_temporality == 2
    by_outcome = {
        (_attrs(p)["fastswarm.name"], _attrs(p)["fastswarm.outcome"]): p.as_int for p in requests.data_points
    }
    assert by_outcome == {("/ok", "ok"): 1, ("/ok", "failure"): 1, ("/x", "ok"): 1, ("/x", "failure"): 0}
    failures = metrics["fastswarm.request.failures"][1].sum.data_points
    assert {_attrs(p)["fastswarm.name"]: p.as_int for p in failures} == {"/ok": 1, "/x": 0}
    assert all(_attrs(p)["fastswarm.outcome"] == "failure" for p in failures)
    (users,) = metrics["fastswarm.users"][1].gauge.data_points
    assert users.as_int == 5


def test_the_open_models_target_rate_is_a_gauge() -> None:
    metrics = _encoded(_gauges(users=2, rate=12.5))
    unit, rate = metrics["fastswarm.target_rate"]
    assert unit == "1/s" and rate.gauge.data_points[0].as_double == 12.5


def test_endpoint_sources_in_order() -> None:
    metrics_env = {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:1/custom/path"}
    base_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318/"}
    assert resolve_endpoint(None, {}) == "http://127.0.0.1:4318/v1/metrics"
    assert resolve_endpoint(None, base_env) == "https://collector:4318/v1/metrics"
    assert resolve_endpoint(None, {**base_env, **metrics_env}) == "http://m:1/custom/path"  # used as is
    assert (
        resolve_endpoint("http://127.0.0.1:9/", {**base_env, **metrics_env})
        == "http://127.0.0.1:9/v1/metrics"
    )
    assert resolve_endpoint("http://h/otlp/v1/metrics", {}) == "http://h/otlp/v1/metrics"
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_ENDPOINT 'collector:4318'"):
        resolve_endpoint(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"})
    with pytest.raises(ConfigError, match="--otel-endpoint: 'ftp://x' is not an http"):
        Config(otel=True, otel_endpoint="ftp://x")


def test_missing_packages_are_one_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail, as an uninstalled package would.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.metric_exporter", None)
    monkeypatch.delitem(sys.modules, "fastswarm.stats.otel")
    monkeypatch.delattr(fastswarm.stats, "otel")
    with pytest.raises(ConfigError) as caught:
        load_otel()
    assert caught.value.exit_code == 2
    assert "pip install 'fastswarm[otel]'" in str(caught.value) and "\n" not in str(caught.value)


def test_failure_reasons_are_short() -> None:
    refused = (
        "Transient error HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        "/v1/metrics (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=9): Failed to "
        'establish a new connection: [Errno 111] Connection refused")) encountered while exporting '
        "metrics batch, retrying in 1.01s."
    )
    assert (
        _reason([refused, "Failed to export metrics batch due to timeout"])
        == "[Errno 111] Connection refused"
    )
    not_found = "Failed to export metrics batch code: 404, reason: Not Found"
    assert _reason([not_found]) == not_found
    assert _reason([]) == "the exporter gave no reason"
    assert len(_reason(["x" * 500])) == 160


class _FakePush:
    """Stands in for stats/otel.OtlpPush: a collector that answers after ``delay`` s, or never."""

    delay = 0.0
    ok = True

    def __init__(self, endpoint: str, version: str) -> None:
        self.last_error = ""
        self.resource = self.scope = None
        self.pushes: list[Any] = []

    def open(self) -> None:
        pass

    def push(self, data: Any) -> bool:
        self.pushes.append(data)
        gevent.sleep(self.delay)
        if not self.ok:
            self.last_error = "refused"
        return self.ok

    def interrupted(self, limit_s: float) -> None:
        self.last_error = f"no answer within {limit_s:g} s"

    def close(self) -> None:
        pass


def _pusher(delay: float, ok: bool) -> OtelPusher:
    push_class = type("Push", (_FakePush,), {"delay": delay, "ok": ok})
    fake = SimpleNamespace(OtlpPush=push_class, build_metrics_data=lambda *args: args)
    gauges = RunGauges(state="running", users=1, target_users=1, workers=1)
    return OtelPusher("http://127.0.0.1:9/v1/metrics", 0.05, lambda: gauges, fake)  # type: ignore[arg-type]


def test_a_collector_that_never_answered_is_not_waited_for_at_the_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pusher = _pusher(delay=30.0, ok=False)
    pusher.start(Aggregator())
    gevent.sleep(0.2)  # the first push is under way, and will not end for 30 s
    started = time.monotonic()
    pusher.finish()  # one report interval for the push under way, one for the final push
    assert time.monotonic() - started < 10
    assert (pusher.sent, pusher.failed) == (0, 2)
    (line,) = capsys.readouterr().err.splitlines()  # one warning for both
    assert "--otel: a push to http://127.0.0.1:9/v1/metrics failed (no answer within 0.05 s)" in line
    pusher.close()


def test_a_collector_that_answers_gets_every_push_and_the_last(capsys: pytest.CaptureFixture[str]) -> None:
    pusher = _pusher(delay=0.01, ok=True)
    pusher.start(Aggregator())
    gevent.sleep(0.3)
    pusher.finish()
    push = pusher._push
    assert push is not None
    assert pusher.failed == 0 and pusher.sent == len(push.pushes) >= 3  # type: ignore[attr-defined]
    pusher.close()
    assert pusher._loop_greenlet is None and capsys.readouterr().err == ""
