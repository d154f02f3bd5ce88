"""Terminal text for the open model and the generator self-check (pure string building).

Printed after ``console.py``'s tables: a line of arrivals while the test runs, and at the
end the corrected latencies beside the plain ones, the arrivals that were dropped or
late, the schedule lag, and whether the load generator itself was the limit.
"""

from __future__ import annotations

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.model import LatencySummary
from fastswarm.stats.open_stats import LATE_AFTER_S

_NAME_MAX = 48


def format_open_live(agg: Aggregator) -> str:
    """One or two lines for the live table: rate, drops, lateness; the generator warning."""
    lines = []
    summary = agg.open_summary()
    if summary is not None:
        lines.append(
            f"open model: target {summary.target_rate:.1f}/s  achieved {summary.achieved_rate:.1f}/s  "
            f"iterations {summary.iterations}  dropped {summary.dropped}  late {summary.late}  "
            f"lag p99 {summary.schedule_lag.p99:.3f} ms"
        )
    if agg.generator.limited:
        lines.append(f"WARNING: limited by the load generator ({agg.generator.reason})")
    return "\n".join(lines)


def _lat(label: str, lat: LatencySummary) -> str:
    values = (lat.min, lat.mean, lat.p50, lat.p90, lat.p95, lat.p99, lat.p99_9, lat.max)
    return f"{label:<12}" + " ".join(f"{v:>9.3f}" for v in values)


def format_open_summary(agg: Aggregator) -> str:
    """End of run: latency vs corrected latency per endpoint, arrivals, generator self-check."""
    lines: list[str] = []
    summary = agg.open_summary()
    if summary is not None:
        cols = ("min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max")
        lines += [
            "",
            "Latency and corrected latency (ms; corrected = completion - the iteration's planned start)",
            f"{'':<12}" + " ".join(f"{c:>9}" for c in cols),
        ]
        rows = [*agg.endpoint_rows(), agg.totals_row()]
        for r in rows:
            name = f"{r.method} {r.name}".strip()
            lines.append(name if len(name) <= _NAME_MAX else name[: _NAME_MAX - 1] + "…")
            lines.append(_lat("  latency", r.latency))
            if r.corrected_latency is not None:
                lines.append(_lat("  corrected", r.corrected_latency))
        lag = summary.schedule_lag
        lines += [
            "",
            f"Open model: target {summary.target_rate:.3f}/s, achieved {summary.achieved_rate:.3f}/s "
            f"({summary.iterations} iterations)",
            f"  dropped (no free user, pool full): {summary.dropped}",
            f"  late (started > {LATE_AFTER_S * 1000:.0f} ms after plan): {summary.late}",
            f"  schedule lag ms: p50 {lag.p50:.3f}  p99 {lag.p99:.3f}  "
            f"p99.9 {lag.p99_9:.3f}  max {lag.max:.3f}",
        ]
    gen = agg.generator
    if gen.limited:
        lines += ["", f"WARNING: this run was limited by the load generator: {gen.reason}."]
        lines.append("  Latencies and rates above include the generator's own delay; add processes or hosts.")
    elif gen.peak_cpu_percent or gen.peak_loop_lag_ms:
        lines.append(
            f"Generator self-check: ok (peak worker CPU {gen.peak_cpu_percent:.0f}%, "
            f"peak event-loop lag {gen.peak_loop_lag_ms:.1f} ms)"
        )
    return "\n".join(lines)
