"""Reports: JSON shape (docs/report-schema.md), CSV files, console tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.recorder import Recorder
from fastswarm.stats.report import (
    STATS_COLUMNS,
    RunInfo,
    build_json_report,
    format_live_table,
    format_summary,
    iso_utc,
    write_csv,
    write_json_report,
)

LATENCY_KEYS = ["min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"]


def _agg() -> Aggregator:
    agg = Aggregator()
    agg.start(1_700_000_000.0)
    agg.users = 3
    rec = Recorder()
    rec.reset(now=1_700_000_000.0)
    for i in range(100):
        rec.record("GET", "/items", 400 + i, 1000, "HTTPError 503" if i % 10 == 0 else None)
        rec.record("POST", "/login", 2000 + 10 * i, 50)
    try:
        raise KeyError("token")
    except KeyError as exc:
        rec.record_user_error(exc)
    agg.add("w0", rec.take_interval(now=1_700_000_002.0))
    return agg


def _run() -> RunInfo:
    return RunInfo(started_at=1_700_000_000.0, duration_s=2.0, host="http://t", users=3, processes=1)


def test_json_report_shape() -> None:
    report = build_json_report(_agg(), _run(), extra={"checks": {"passed": True}})
    assert report["run"] == {
        "started_at": "2023-11-14T22:13:20.000Z",
        "duration_s": 2.0,
        "host": "http://t",
        "users": 3,
        "processes": 1,
        "rate": None,
    }
    assert report["open_model"] is None and report["generator_limited"] is False
    assert report["checks"] == {"passed": True}
    endpoint_keys = [
        "method", "name", "requests", "failures", "rps", "bytes_avg", "latency_ms", "corrected_latency_ms"
    ]
    assert list(report["totals"]) == endpoint_keys
    assert report["totals"]["name"] == "Aggregated" and report["totals"]["requests"] == 200
    assert [(e["method"], e["name"]) for e in report["endpoints"]] == [("GET", "/items"), ("POST", "/login")]
    items = report["endpoints"][0]
    assert list(items) == endpoint_keys
    assert list(items["latency_ms"]) == LATENCY_KEYS
    assert items["rps"] == 50.0 and items["failures"] == 10 and items["bytes_avg"] == 1000.0
    assert items["latency_ms"]["min"] == 0.4 and items["latency_ms"]["max"] == pytest.approx(0.499, abs=0.001)
    assert report["errors"] == [{"method": "GET", "name": "/items", "error": "HTTPError 503", "count": 10}]
    (ue,) = report["user_errors"]
    assert (ue["kind"], ue["message"], ue["count"]) == ("KeyError", "'token'", 1)
    assert "Traceback" in ue["traceback"]
    json.dumps(report)  # serializable as is


def test_extra_cannot_replace_report_keys() -> None:
    with pytest.raises(ValueError):
        build_json_report(_agg(), _run(), extra={"totals": 1})


def test_write_json_report(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    report = build_json_report(_agg(), _run())
    write_json_report(path, report)
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert not (tmp_path / "r.json.tmp").exists()


def test_iso_utc() -> None:
    assert iso_utc(0.5) == "1970-01-01T00:00:00.500Z"


def test_csv_files(tmp_path: Path) -> None:
    paths = write_csv(tmp_path / "run", _agg())
    assert [Path(p).name for p in paths] == ["run_stats.csv", "run_stats_history.csv", "run_failures.csv"]
    with open(paths[0], newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == STATS_COLUMNS
    assert [r[:4] for r in rows[1:]] == [
        ["GET", "/items", "100", "10"],
        ["POST", "/login", "100", "0"],
        ["", "Aggregated", "200", "10"],
    ]
    get = dict(zip(rows[0], rows[1], strict=True))
    assert float(get["Min Response Time"]) == 0.4
    assert float(get["Requests/s"]) == 50.0 and float(get["Failures/s"]) == 5.0
    assert float(get["50%"]) <= float(get["99%"]) <= float(get["100%"])
    with open(paths[1], newline="") as f:
        hist = list(csv.DictReader(f))
    assert len(hist) == 1 and hist[0]["Name"] == "Aggregated" and hist[0]["User Count"] == "3"
    assert float(hist[0]["Requests/s"]) == 100.0
    with open(paths[2], newline="") as f:
        fails = list(csv.reader(f))
    assert fails == [["Method", "Name", "Error", "Occurrences"], ["GET", "/items", "HTTPError 503", "10"]]


def test_console_tables() -> None:
    agg = _agg()
    rows, totals = agg.endpoint_rows(), agg.totals_row()
    live = format_live_table(rows, totals, users=3, workers_alive=2, elapsed_s=3725)
    assert "users: 3" in live and "workers: 2" in live and "1:02:05" in live
    assert "/items" in live and "Aggregated" in live and "10(10.00%)" in live
    summary = format_summary(rows, totals, agg.errors(), agg.user_errors())
    lines = summary.splitlines()
    items = next(line for line in lines if "/items" in line)
    assert "0.400" in items and "50.00" in items
    assert "HTTPError 503" in summary
    assert "KeyError: 'token'" in summary and "Traceback" in summary
    empty = Aggregator()
    assert "Aggregated" in format_summary([], empty.totals_row(), [], [])
