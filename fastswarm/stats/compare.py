"""``fastswarm compare``: a candidate run against a baseline, from the two JSON reports.

Latencies are read from the histograms the reports carry (``report_histograms.py``), so
every percentile of each run is exact to HDR precision rather than re-estimated; rates
and failure ratios come from the reports' counts. A regression rule such as ``p99:+10%``
(``[ENDPOINT:]METRIC:±N[%|ms]``) bounds how far the candidate may move in the bad
direction; a broken rule makes the command exit 3, as a failed ``--check`` does.

A percentile resting on few samples is flagged: with n requests, only n*(1-p) of them lie
above the p-th percentile, and fewer than ``MIN_TAIL_SAMPLES`` there make it noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastswarm.exception import ConfigError
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import StatsKey
from fastswarm.stats.report_histograms import read_histograms

PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
LATENCY_METRICS = ("p50", "p90", "p95", "p99", "p99.9", "max", "mean")
METRICS = (*LATENCY_METRICS, "rps", "fail_ratio")
MIN_TAIL_SAMPLES = 10
_RULE = re.compile(
    r"^(?:(?P<endpoint>.+):)?(?P<metric>[a-z_0-9.]+):(?P<sign>[+-])(?P<value>\d+(?:\.\d+)?)(?P<unit>%|ms)?$"
)


@dataclass(frozen=True)
class Side:
    """One run's figures for one endpoint (or for all requests)."""

    requests: int
    failures: int
    rps: float
    latency_ms: dict[str, float]

    @property
    def fail_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def value(self, metric: str) -> float:
        if metric == "rps":
            return self.rps
        if metric == "fail_ratio":
            return self.fail_ratio
        return self.latency_ms[metric]


@dataclass(frozen=True)
class Row:
    """An endpoint present in both runs (``key`` None: all requests)."""

    key: StatsKey | None
    base: Side
    candidate: Side
    base_histogram: LatencyHistogram
    candidate_histogram: LatencyHistogram

    @property
    def label(self) -> str:
        return "Aggregated" if self.key is None else f"{self.key.method} {self.key.name}"

    def few_samples(self, metric: str) -> bool:
        """True where the percentile rests on fewer than MIN_TAIL_SAMPLES requests in either run."""
        if not (metric.startswith("p") and metric[1:].replace(".", "", 1).isdigit()):
            return False
        tail = 1.0 - float(metric[1:]) / 100.0
        return min(self.base.requests, self.candidate.requests) * tail < MIN_TAIL_SAMPLES


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    only_in_base: list[str]
    only_in_candidate: list[str]


@dataclass(frozen=True)
class Rule:
    """``[ENDPOINT:]METRIC:±N[%|ms]``: how far the candidate may move; the sign is the allowed way."""

    expr: str
    endpoint: str | None
    metric: str
    limit: float
    relative: bool

    def broken_by(self, row: Row) -> tuple[bool, float]:
        """(regressed, the change seen: a fraction when relative, else in the metric's unit)."""
        before, after = row.base.value(self.metric), row.candidate.value(self.metric)
        change = after - before
        if self.relative:
            change = change / before if before else (0.0 if after == before else float("inf"))
        allowed = self.limit
        return (change > allowed if allowed >= 0 else change < allowed), change

    def applies_to(self, row: Row) -> bool:
        if self.endpoint is None:
            return row.key is None
        return row.key is not None and self.endpoint in (row.key.name, f"{row.key.method} {row.key.name}")


def parse_rule(expr: str) -> Rule:
    """``p99:+10%``, ``mean:+5ms``, ``fail_ratio:+0.01``, ``rps:-10%``, ``GET /items:p95:+20%``."""
    match = _RULE.match(expr.strip())
    if match is None or match["metric"] not in METRICS:
        raise ConfigError(
            f"--max-regression {expr!r}: expected [ENDPOINT:]METRIC:+N% (or +Nms); "
            f"METRIC is one of {', '.join(METRICS)}"
        )
    metric, unit = match["metric"], match["unit"]
    if unit == "ms" and metric not in LATENCY_METRICS:
        raise ConfigError(f"--max-regression {expr!r}: 'ms' only goes with a latency")
    limit = float(match["value"]) / (100.0 if unit == "%" else 1.0)
    return Rule(expr, match["endpoint"], metric, -limit if match["sign"] == "-" else limit, unit == "%")


def _side(entry: dict[str, Any], histogram: LatencyHistogram, duration_s: float) -> Side:
    pcts = histogram.percentiles(PERCENTILES)
    latency = {f"p{p:g}": pcts[p] / 1000.0 for p in PERCENTILES}
    latency["max"] = histogram.max / 1000.0
    latency["mean"] = histogram.mean / 1000.0
    requests = int(entry["requests"])
    return Side(requests, int(entry["failures"]), requests / duration_s if duration_s > 0 else 0.0, latency)


Key = StatsKey | None


def _load(report: dict[str, Any]) -> tuple[dict[Key, Side], dict[Key, LatencyHistogram]]:
    histograms = read_histograms(report)
    duration = float(report["run"]["duration_s"])
    entries: dict[Key, dict[str, Any]] = {StatsKey(e["method"], e["name"]): e for e in report["endpoints"]}
    entries[None] = report["totals"]
    sides = {key: _side(entries[key], hist, duration) for key, hist in histograms.items() if key in entries}
    return sides, histograms


def compare(base: dict[str, Any], candidate: dict[str, Any]) -> Comparison:
    """Every endpoint the two reports share, and the aggregate; ValueError on a report without histograms."""
    (base_sides, base_hists), (cand_sides, cand_hists) = _load(base), _load(candidate)
    shared: list[Key] = [None, *sorted(k for k in base_sides if k is not None and k in cand_sides)]
    rows = [Row(k, base_sides[k], cand_sides[k], base_hists[k], cand_hists[k]) for k in shared]

    def names(keys: set[Key]) -> list[str]:
        return sorted(f"{k.method} {k.name}" for k in keys if k is not None)

    return Comparison(
        rows, names(set(base_sides) - set(cand_sides)), names(set(cand_sides) - set(base_sides))
    )


def judge(comparison: Comparison, rules: list[Rule]) -> list[str]:
    """One line per broken rule (empty when the candidate is within every rule)."""
    broken = []
    for rule in rules:
        rows = [row for row in comparison.rows if rule.applies_to(row)]
        if not rows:
            broken.append(f"FAIL  {rule.expr}  (no endpoint {rule.endpoint!r} in both runs)")
        for row in rows:
            regressed, change = rule.broken_by(row)
            if regressed:
                shown = f"{change * 100:+.1f}%" if rule.relative else f"{change:+.4g}"
                broken.append(f"FAIL  {rule.expr}  ({row.label} {rule.metric} {shown})")
    return broken


def _delta(before: float, after: float) -> str:
    if before == 0:
        return "   n/a" if after == 0 else "   new"
    return f"{(after - before) / before * 100:+6.1f}%"


def format_comparison(comparison: Comparison) -> str:
    """A table per endpoint: each metric's base, candidate and change; '~' marks few samples."""
    lines = []
    for row in comparison.rows:
        lines.append(f"{row.label}  ({row.base.requests} vs {row.candidate.requests} requests)")
        lines.append(f"  {'metric':<10} {'base':>12} {'candidate':>12} {'change':>8}")
        for metric in METRICS:
            before, after = row.base.value(metric), row.candidate.value(metric)
            unit = " ms" if metric in LATENCY_METRICS else ""
            mark = "  ~ few samples" if row.few_samples(metric) else ""
            lines.append(
                f"  {metric:<10} {before:>9.3f}{unit:<3} {after:>9.3f}{unit:<3} {_delta(before, after)}{mark}"
            )
        lines.append("")
    for label, names in (
        ("only in base", comparison.only_in_base),
        ("only in candidate", comparison.only_in_candidate),
    ):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    return "\n".join(lines).rstrip() + "\n"
