"""One way to read percentiles: the summary rows, the CSV report and --check all give what
hdrh gives for one histogram fed every sample (and therefore the same numbers as each other).

Rows are fed so that each storage form of the master's counters is read: a row of a few
counters (sparse), one with thousands of distinct counters (dense), and checks that merge
two methods of one name.
"""

from __future__ import annotations

import csv
import io
import random

import pytest
from hdrh.histogram import HdrHistogram

from fastswarm.master.checks import measure, parse_check
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.counts_table import HOT_COUNTERS
from fastswarm.stats.histogram import HIGHEST_US
from fastswarm.stats.model import StatsKey
from fastswarm.stats.recorder import Recorder
from fastswarm.stats.report import stats_csv_text

CSV_PCTS = (50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0)
SUMMARY_FIELDS = {50.0: "p50", 90.0: "p90", 95.0: "p95", 99.0: "p99", 99.9: "p99_9"}


def _ms(us: float) -> float:
    return round(us / 1000, 3)


def _samples(rng: random.Random) -> dict[StatsKey, list[int]]:
    wide = [int(rng.lognormvariate(10, 2.5)) + 1 for _ in range(40_000)]  # thousands of counters
    return {
        StatsKey("GET", "/a"): wide,
        StatsKey("POST", "/a"): [rng.choice((700, 701, 90_000, 2_000_000_000)) for _ in range(300)],
        StatsKey("GET", "/b"): [rng.randint(1, 5_000) for _ in range(37)],
    }


@pytest.fixture(scope="module")
def fed() -> tuple[Aggregator, dict[StatsKey | None, HdrHistogram]]:
    rng = random.Random(11)
    samples = _samples(rng)
    agg = Aggregator()
    agg.start(0.0)
    for second in range(4):  # each endpoint's samples spread over four intervals of two workers
        for worker in range(2):
            rec = Recorder()
            rec.reset(now=float(second))
            for key, values in samples.items():
                for us in values[second * 2 + worker :: 8]:
                    rec.record(key.method, key.name, us, 10)
            agg.add(f"w{worker}", rec.take_interval(now=second + 1.0))
    refs: dict[StatsKey | None, HdrHistogram] = {None: HdrHistogram(1, HIGHEST_US, 3)}
    for key, values in samples.items():
        refs[key] = HdrHistogram(1, HIGHEST_US, 3)
        for us in values:
            for ref in (refs[key], refs[None]):
                ref.record_value(min(us, HIGHEST_US))
    merged = HdrHistogram(1, HIGHEST_US, 3)
    merged.add(refs[StatsKey("GET", "/a")])
    merged.add(refs[StatsKey("POST", "/a")])
    refs[StatsKey("", "/a")] = merged  # what a check on "/a" (any method) judges
    return agg, refs


def test_the_rows_cover_the_sparse_and_the_dense_form(fed: tuple[Aggregator, dict]) -> None:
    agg, _ = fed
    assert len(agg.histogram(StatsKey("GET", "/a")).nonzero()[0]) > HOT_COUNTERS
    assert len(agg.histogram(StatsKey("GET", "/b")).nonzero()[0]) < 100


def test_summary_rows_give_hdrhs_percentiles(fed: tuple[Aggregator, dict]) -> None:
    agg, refs = fed
    rows = {StatsKey(r.method, r.name): r for r in agg.endpoint_rows()}
    rows[None] = agg.totals_row()  # type: ignore[index]
    for key, row in rows.items():
        ref = refs[key]
        for p, field in SUMMARY_FIELDS.items():
            assert getattr(row.latency, field) == _ms(ref.get_value_at_percentile(p)), (key, p)
        assert row.latency.min == _ms(ref.get_min_value()) and row.latency.max == _ms(ref.get_max_value())
        assert row.latency.mean == _ms(ref.get_mean_value())


def test_csv_report_gives_hdrhs_percentiles(fed: tuple[Aggregator, dict]) -> None:
    agg, refs = fed
    rows = list(csv.DictReader(io.StringIO(stats_csv_text(agg))))
    for row in rows:
        key = None if row["Name"] == "Aggregated" else StatsKey(row["Type"], row["Name"])
        ref = refs[key]
        got = [float(row[f"{p:g}%"]) for p in CSV_PCTS]
        assert got == [_ms(ref.get_value_at_percentile(p)) for p in CSV_PCTS], key
        assert float(row["Median Response Time"]) == got[0]


@pytest.mark.parametrize("endpoint", ["", "GET /a:", "POST /a:", "/a:", "GET /b:"])
def test_checks_give_hdrhs_percentiles(fed: tuple[Aggregator, dict], endpoint: str) -> None:
    agg, refs = fed
    method, _, name = endpoint.rstrip(":").rpartition(" ")
    ref = refs[StatsKey(method, name) if endpoint else None]
    for p in (*CSV_PCTS, 1.0, 99.999):
        assert measure(parse_check(f"{endpoint}p{p:g}<1"), agg) == _ms(ref.get_value_at_percentile(p)), p
    assert measure(parse_check(f"{endpoint}min<1"), agg) == _ms(ref.get_min_value())
    assert measure(parse_check(f"{endpoint}max<1"), agg) == _ms(ref.get_max_value())
    assert measure(parse_check(f"{endpoint}avg<1"), agg) == _ms(ref.get_mean_value())


def test_an_endpoint_without_requests_has_no_percentile(fed: tuple[Aggregator, dict]) -> None:
    agg, _ = fed
    assert measure(parse_check("GET /nope:p99<1"), agg) is None
    empty = Aggregator()
    assert measure(parse_check("p99<1"), empty) is None
    assert list(csv.DictReader(io.StringIO(stats_csv_text(empty))))[0]["99%"] == "N/A"
