"""Pass/fail thresholds (``--check``): parsed with the Config (``config/check_expr.py``), judged
on the merged result here.

A check whose endpoint received no requests, or whose metric needs a sample the run never
produced (a latency with no requests), fails: a threshold that could not be judged has
not been met.

Mid-run (``--check-abort``) only checks whose failure is already final are acted on: an
upper bound on ``failures``, ``requests`` or ``max``, or a lower bound on ``min``. More
traffic can only make those worse, while percentiles, means, rates and ratios can still
recover, so they are judged at the end only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastswarm.config.check_expr import Check as Check
from fastswarm.config.check_expr import parse_check as parse_check
from fastswarm.config.check_expr import parse_checks as parse_checks

if TYPE_CHECKING:
    from fastswarm.stats.aggregator import Aggregator


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check and what the run measured; ``actual`` is None when it could not be measured."""

    check: Check
    actual: float | None
    passed: bool

    def to_json(self) -> dict[str, Any]:
        c = self.check
        return {
            "expr": c.expr,
            "metric": c.metric,
            "endpoint": c.endpoint,
            "op": c.op,
            "threshold": c.threshold,
            "unit": c.unit,
            "actual": self.actual,
            "passed": self.passed,
        }

    def observed(self) -> str:
        """What the run measured: ``p99 = 12.3 ms``, or why nothing could be."""
        c = self.check
        if self.actual is None:
            return f"no requests to {c.endpoint}" if c.endpoint else f"no {c.metric}: no requests"
        where = f"{c.endpoint} " if c.endpoint else ""
        return f"{where}{c.metric} = {_number(self.actual)}{' ms' if c.is_latency else ''}"

    def describe(self) -> str:
        """``PASS  p99<250ms  (p99 = 12.3 ms)``."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.check.expr}  ({self.observed()})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def measure(check: Check, agg: Aggregator) -> float | None:
    """The value of ``check``'s metric in the aggregator now; None if it has no sample."""
    from fastswarm.stats.model import StatsKey, us_to_ms

    keys: list[StatsKey] | None = None
    if check.name is None:
        total = agg.totals_row()
        requests, failures, rps = total.requests, total.failures, total.rps
    else:
        rows = [
            r
            for r in agg.endpoint_rows()
            if r.name == check.name and (check.method is None or r.method == check.method)
        ]
        if not rows:
            return None
        requests, failures = sum(r.requests for r in rows), sum(r.failures for r in rows)
        rps = sum(r.rps for r in rows)
        keys = [StatsKey(r.method, r.name) for r in rows]
    metric = check.metric
    if metric == "requests":
        return float(requests)
    if metric == "failures":
        return float(failures)
    if metric == "rps":
        return round(rps, 3)
    if metric == "fail_ratio":
        return failures / requests if requests else None
    pct = () if metric in ("min", "max", "mean") else (float(metric[1:]),)
    latency = agg.latency(keys, pct)
    if not latency.count:
        return None
    us = latency.percentiles[pct[0]] if pct else getattr(latency, metric)
    return us_to_ms(us)


def evaluate(checks: Iterable[Check], agg: Aggregator) -> list[CheckResult]:
    """Judge every check on the merged result."""
    results = []
    for check in checks:
        actual = measure(check, agg)
        results.append(CheckResult(check, actual, actual is not None and check.holds(actual)))
    return results


def lost_for_good(checks: Iterable[Check], agg: Aggregator) -> list[CheckResult]:
    """The checks already lost for good (for ``--check-abort``); the others are not judged."""
    out = []
    for check in checks:
        if check.metric not in ("failures", "requests", "max", "min"):
            continue
        actual = measure(check, agg)
        if check.failed_for_good(actual):
            out.append(CheckResult(check, actual, False))
    return out


def format_results(results: list[CheckResult]) -> str:
    """The block printed after the summary; empty when there are no checks."""
    if not results:
        return ""
    passed = sum(r.passed for r in results)
    lines = [f"Checks: {passed} of {len(results)} passed"]
    lines += [f"  {r.describe()}" for r in results]
    return "\n".join(lines)
