"""End-of-run reports from an ``Aggregator``: the JSON report and Locust-style CSV files.

The JSON shape is documented in docs/report-schema.md; keep the two in step. The console
tables live in ``console.py`` and are re-exported here for callers that want one import.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fastswarm.stats.aggregator import TOTAL_NAME, Aggregator
from fastswarm.stats.console import format_live_table as format_live_table
from fastswarm.stats.console import format_summary as format_summary
from fastswarm.stats.model import EndpointRow, StatsKey, us_to_ms
from fastswarm.stats.open_stats import latency_json
from fastswarm.stats.report_histograms import histograms_json

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the report says about the run itself."""

    started_at: float  # epoch seconds
    duration_s: float
    host: str | None
    users: int
    processes: int
    rate: tuple[float, float] | None = None  # open model: --rate (start, end), iterations/s
    protocol_errors: int = 0  # master/worker messages dropped as malformed or unexpected

    def __post_init__(self) -> None:
        if self.duration_s < 0 or self.users < 0 or self.processes < 0 or self.protocol_errors < 0:
            raise ValueError("RunInfo: duration_s, users, processes and protocol_errors must be >= 0")


def iso_utc(epoch_s: float) -> str:
    """Epoch seconds as ISO-8601 UTC with milliseconds: 2024-05-01T12:00:00.000Z."""
    stamp = datetime.fromtimestamp(epoch_s, tz=timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _endpoint_json(r: EndpointRow) -> dict[str, Any]:
    return {
        "method": r.method,
        "name": r.name,
        "requests": r.requests,
        "failures": r.failures,
        "rps": round(r.rps, 3),
        "bytes_avg": round(r.bytes_avg, 3),
        "latency_ms": latency_json(r.latency),
        "corrected_latency_ms": latency_json(r.corrected_latency) if r.corrected_latency else None,
    }


endpoint_json = _endpoint_json  # the status endpoint's /stats rows start from the same fields


def errors_json(agg: Aggregator) -> list[dict[str, Any]]:
    """The report's (and /stats') ``errors`` list."""
    return [{"method": e.method, "name": e.name, "error": e.error, "count": e.count} for e in agg.errors()]


def user_errors_json(agg: Aggregator) -> list[dict[str, Any]]:
    """The report's (and /stats') ``user_errors`` list."""
    return [
        {"kind": u.kind, "message": u.message, "count": u.count, "traceback": u.traceback}
        for u in agg.user_errors()
    ]


def build_json_report(agg: Aggregator, run: RunInfo, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's report as JSON-ready data; ``extra`` keys are added at the top level.

    ``extra`` may not replace the report's own keys (ValueError): a tool adding data must
    never silently change what the documented fields mean.
    """
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "started_at": iso_utc(run.started_at),
            "duration_s": round(run.duration_s, 3),
            "host": run.host,
            "users": run.users,
            "processes": run.processes,
            "rate": None if run.rate is None else {"start": run.rate[0], "end": run.rate[1]},
        },
        "totals": _endpoint_json(agg.totals_row()),
        "endpoints": [_endpoint_json(r) for r in agg.endpoint_rows()],
        "errors": errors_json(agg),
        "user_errors": user_errors_json(agg),
        "open_model": None if (open_model := agg.open_summary()) is None else open_model.to_json(),
        **agg.generator.to_json(),
        "histograms": histograms_json(agg),
        "protocol_errors": run.protocol_errors,
    }
    for key, value in (extra or {}).items():
        if key in report:
            raise ValueError(f"extra report key {key!r} would replace a built-in one")
        report[key] = value
    return report


def write_json_report(path: str | os.PathLike[str], report: dict[str, Any]) -> None:
    """Write the report as indented UTF-8 JSON, via a temp file so readers never see half."""
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


STATS_COLUMNS = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
).split(",")
_CSV_PCTS = (50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0)
HISTORY_COLUMNS = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "95%", "99%"]
FAILURES_COLUMNS = ["Method", "Name", "Error", "Occurrences"]


def _stats_csv_row(agg: Aggregator, row: EndpointRow, key: StatsKey | None) -> list[str | int | float]:
    latency = agg.latency(None if key is None else [key], _CSV_PCTS)
    pcts = latency.percentiles
    tail: list[str | int | float] = [us_to_ms(pcts[p]) for p in _CSV_PCTS] if latency.count else ["N/A"] * 11
    return [
        row.method,
        row.name,
        row.requests,
        row.failures,
        row.latency.p50,
        row.latency.mean,
        row.latency.min,
        row.latency.max,
        round(row.bytes_avg, 3),
        round(row.rps, 3),
        round(row.failures_per_s, 3),
        *tail,
    ]


def _stats_rows(agg: Aggregator) -> Iterator[Sequence[object]]:
    yield STATS_COLUMNS
    for r in agg.endpoint_rows():
        yield _stats_csv_row(agg, r, StatsKey(r.method, r.name))
    yield _stats_csv_row(agg, agg.totals_row(), None)


def _history_rows(agg: Aggregator) -> Iterator[Sequence[object]]:
    yield HISTORY_COLUMNS
    for p in agg.history():
        rates = [round(p.rps, 3), round(p.failures_per_s, 3)]
        yield [int(p.t), p.users, "", TOTAL_NAME, *rates, p.p50, p.p95, p.p99]


def _failures_rows(agg: Aggregator) -> Iterator[Sequence[object]]:
    yield FAILURES_COLUMNS
    for e in agg.errors():
        yield [e.method, e.name, e.error, e.count]


def _csv_text(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def stats_csv_text(agg: Aggregator) -> str:
    """PREFIX_stats.csv's content, also the status endpoint's /stats.csv."""
    return _csv_text(_stats_rows(agg))


def history_csv_text(agg: Aggregator) -> str:
    """PREFIX_stats_history.csv's content."""
    return _csv_text(_history_rows(agg))


def failures_csv_text(agg: Aggregator) -> str:
    """PREFIX_failures.csv's content, also the status endpoint's /errors.csv."""
    return _csv_text(_failures_rows(agg))


def write_csv(prefix: str | os.PathLike[str], agg: Aggregator) -> list[str]:
    """Write PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv.

    Column names follow Locust's so existing tooling reads them; times are ms with µs
    precision. The history file has the aggregated row per second with the percentiles
    fastswarm keeps per second (50/95/99). The status endpoint's /stats.csv and /errors.csv
    are the same texts. Returns the paths written.
    """
    base = os.fspath(prefix)
    texts = {
        f"{base}_stats.csv": stats_csv_text(agg),
        f"{base}_stats_history.csv": history_csv_text(agg),
        f"{base}_failures.csv": failures_csv_text(agg),
    }
    for path, text in texts.items():
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(text)
    return list(texts)
