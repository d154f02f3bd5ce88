"""The routes behind the UI's tabs, without processes: /stats/distribution, /logs, /report.json,
and the --web-log-lines setting.

The app runs as plain WSGI over a real Aggregator fed real HDR histograms; the browser test
(test_browser_ui.py) checks the same routes against a live master.
"""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from fastswarm.cli.main import build_config, command
from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import EntryStats, IntervalStats, StatsKey
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.web.app import StatusApp
from fastswarm.web.distribution import PERCENTILES, X_STEPS
from fastswarm.web.log_ring import LogRing


def _hist(samples_us: list[int]) -> LatencyHistogram:
    h = LatencyHistogram()
    for us in samples_us:
        h.record(us)
    return h


A = list(range(1_000, 101_000, 100))  # 1,000 samples, 1 ms .. 100.9 ms
B = [5_000] * 10 + [250_000]


def _aggregator(corrected: bool) -> Aggregator:
    agg = Aggregator()
    t = time.time() - 5
    agg.start(t)

    def entry(method: str, name: str, samples: list[int]) -> EntryStats:
        blob = _hist(samples).to_bytes()
        late = _hist([us + 2_000 for us in samples]).to_bytes() if corrected else b""
        return EntryStats(method, name, len(samples), 0, 0, blob, late)

    agg.add("w0", IntervalStats(t, t + 1, (entry("GET", "/a", A[:500]), entry("GET", "/b", B)), ()))
    agg.add("w1", IntervalStats(t + 1, t + 2, (entry("GET", "/a", A[500:]), entry("POST", "/b", B)), ()))
    return agg


class _Control:
    """Just enough of SessionControl for the read routes."""

    def __init__(self, agg: Aggregator) -> None:
        self.aggregator = agg

    def gauges(self) -> RunGauges:
        return RunGauges(state="running", users=1, target_users=1, workers=1, target_rate=None)

    def run_info(self) -> RunInfo:
        return RunInfo(
            started_at=time.time(), duration_s=2.0, host="http://127.0.0.1:1", users=1, processes=1
        )


def _get(app: StatusApp, path: str, query: str = "") -> tuple[int, Any]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    body = b"".join(app(environ, start_response))
    return answer["status"], json.loads(body)


def test_distribution_is_the_merged_histogram_at_each_percentile() -> None:
    agg = _aggregator(corrected=False)
    app = StatusApp(_Control(agg))  # type: ignore[arg-type]
    status, doc = _get(app, "/stats/distribution", "name=/a")
    assert status == 200 and (doc["method"], doc["name"]) == ("GET", "/a")
    assert doc["percentiles"] == list(PERCENTILES) and doc["x"] == list(X_STEPS)
    assert {50.0, 90.0, 99.0, 99.9, 99.99, 99.999} <= set(doc["percentiles"])
    assert doc["x"][0] == 0.0 and doc["x"][-1] == pytest.approx(5.0)
    merged = _hist(A)  # both workers' halves, as one histogram fed every sample
    want = merged.percentiles(PERCENTILES)
    assert doc["latency"]["ms"] == [want[p] / 1000 for p in PERCENTILES]
    assert doc["latency"]["count"] == 1000 and doc["latency"]["max_ms"] == merged.max / 1000
    assert doc["latency"]["ms"] == sorted(doc["latency"]["ms"])  # a percentile curve never falls
    assert doc["corrected"] is None  # closed model

    status, everything = _get(app, "/stats/distribution")
    assert status == 200 and everything["name"] is None
    assert everything["latency"]["count"] == 1000 + 2 * len(B)
    assert everything["latency"]["max_ms"] == pytest.approx(250.0, rel=0.001)


def test_distribution_has_the_corrected_curve_in_the_open_model() -> None:
    agg = _aggregator(corrected=True)
    app = StatusApp(_Control(agg))  # type: ignore[arg-type]
    _, doc = _get(app, "/stats/distribution", "method=GET&name=/a")
    want = _hist([us + 2_000 for us in A]).percentiles(PERCENTILES)
    assert doc["corrected"]["ms"] == [want[p] / 1000 for p in PERCENTILES]
    assert doc["corrected"]["count"] == doc["latency"]["count"] == 1000
    assert agg.corrected_histogram(StatsKey("GET", "/nope")) is None
    totals = agg.corrected_histogram(None)
    assert totals is not None and totals.count == 1000 + 2 * len(B)


@pytest.mark.parametrize(
    ("query", "status", "field", "words"),
    [
        ("name=/nope", 404, None, "/nope: no such endpoint"),
        ("name=/b", 400, "method", "GET, POST"),  # two methods use /b: ask which
        ("method=GET", 400, "method", "needs name"),
        ("name=/a&name=/b", 400, "name", "given 2 times"),
        ("name=/a&colour=red", 400, "colour", "unknown parameter"),
    ],
)
def test_distribution_names_what_is_wrong_with_a_query(
    query: str, status: int, field: str, words: str
) -> None:
    app = StatusApp(_Control(_aggregator(corrected=False)))  # type: ignore[arg-type]
    got, doc = _get(app, "/stats/distribution", query)
    assert got == status and words in doc["error"], doc
    assert doc.get("field") == field
    got, doc = _get(app, "/stats/distribution", "name=/b&method=POST")
    assert got == 200 and doc["method"] == "POST"


def test_log_ring_keeps_the_last_lines_and_says_what_fell_off() -> None:
    ring = LogRing(3)
    logger = logging.getLogger("fastswarm.test_ring")
    logger.setLevel(logging.INFO)
    ring.attach(logger)
    try:
        for i in range(5):
            logger.info("line %d of %s", i, "five")
        logger.debug("not at this level")
    finally:
        ring.detach()
    logger.info("after detach")
    doc = ring.to_json()
    assert [line["message"] for line in doc["lines"]] == [
        "line 2 of five",
        "line 3 of five",
        "line 4 of five",
    ]
    assert doc["limit"] == 3 and doc["last_seq"] == 5 and doc["dropped"] == 2
    assert {line["level"] for line in doc["lines"]} == {"INFO"}
    assert doc["lines"][0]["logger"] == "fastswarm.test_ring"
    newer = ring.to_json(after=4)
    assert [line["seq"] for line in newer["lines"]] == [5] and newer["dropped"] == 0
    assert ring.to_json(after=5)["lines"] == []
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "broken %d", ("x",), None)
    logging.raiseExceptions, raised = False, logging.raiseExceptions
    try:
        ring.emit(broken)  # a bad %-format in someone's log call: dropped, never raised
    finally:
        logging.raiseExceptions = raised
    assert ring.to_json()["last_seq"] == 5
    with pytest.raises(ValueError):
        LogRing(-1)
    silent = LogRing(0)
    silent.emit(logging.LogRecord("x", logging.INFO, __file__, 1, "kept nowhere", None, None))
    assert silent.to_json()["lines"] == []


def test_logs_route_pages_by_seq_and_rejects_a_bad_after() -> None:
    ring = LogRing(10)
    ring.emit(logging.LogRecord("fastswarm.master", logging.WARNING, __file__, 1, "a %s", ("b",), None))
    app = StatusApp(_Control(_aggregator(False)), log_ring=ring)  # type: ignore[arg-type]
    status, doc = _get(app, "/logs")
    assert status == 200 and doc["lines"][0]["message"] == "a b" and doc["lines"][0]["level"] == "WARNING"
    assert _get(app, "/logs", "after=1")[1]["lines"] == []
    for bad in ("x", "-1", "1.5", "²"):
        status, doc = _get(app, "/logs", f"after={bad}")
        assert status == 400 and doc["field"] == "after", bad
    status, doc = _get(StatusApp(_Control(_aggregator(False))), "/logs")  # type: ignore[arg-type]
    assert status == 200 and doc["lines"] == [] and doc["limit"] == 0


def test_report_json_is_the_json_report_so_far() -> None:
    app = StatusApp(_Control(_aggregator(False)))  # type: ignore[arg-type]
    status, doc = _get(app, "/report.json")
    assert status == 200 and doc["totals"]["requests"] == 1000 + 2 * len(B)
    assert {e["name"] for e in doc["endpoints"]} == {"/a", "/b"}
    assert doc["histograms"]["encoding"] == "hdrhistogram-v2-base64"


def test_web_log_lines_is_a_setting_with_its_source_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def config(args: list[str]) -> Config:
        ctx = command.make_context("fastswarm", args, default_map={})
        return build_config(ctx, ctx.params)

    assert config([]).web_log_lines == 500
    assert config(["--web-log-lines", "0"]).web_log_lines == 0
    monkeypatch.setenv("FASTSWARM_WEB_LOG_LINES", "20")
    assert config([]).web_log_lines == 20
    monkeypatch.setenv("FASTSWARM_WEB_LOG_LINES", "-5")
    with pytest.raises(
        ConfigError, match=r"^--web-log-lines \(from FASTSWARM_WEB_LOG_LINES\): must be between"
    ):
        config([])
    with pytest.raises(ConfigError, match="--web-log-lines: must be between 0 and 100000"):
        Config(web_log_lines=100_001)
