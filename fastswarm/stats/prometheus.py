"""Prometheus text exposition (format 0.0.4) of an ``Aggregator`` and the run's gauges.

Written by hand rather than with prometheus_client's registry: the numbers already live
in the aggregator, and a registry would copy them on every request. Latency is a real
Prometheus histogram whose ``le`` counts come from the HDR histograms (exact to their
3-digit precision); the bucket bounds are fixed so ``rate()``/``histogram_quantile()``
work across scrapes. Counters restart at zero after a stats reset, which Prometheus'
``rate()`` treats as a counter reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import StatsKey

# Seconds; each also a whole number of µs, which is what the HDR lookup takes.
BUCKETS_S = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
INF = 'le="+Inf"'
RUN_STATES = ("waiting", "ready", "spawning", "running", "stopping", "stopped")


@dataclass(frozen=True, slots=True)
class RunGauges:
    """The run-wide values that are not in the aggregator."""

    state: str
    users: int
    target_users: int
    workers: int
    target_rate: float | None = None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(key: StatsKey, extra: str = "") -> str:
    inner = f'method="{_escape(key.method)}",name="{_escape(key.name)}"'
    return "{" + inner + (("," + extra) if extra else "") + "}"


def _num(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _histogram_lines(name: str, key: StatsKey, hist: LatencyHistogram) -> list[str]:
    counts = hist.count_at_or_below(round(b * 1_000_000) for b in BUCKETS_S)
    bounds = [f'le="{b}"' for b in BUCKETS_S]
    lines = [f"{name}_bucket{_labels(key, le)} {c}" for le, c in zip(bounds, counts, strict=True)]
    total = hist.count
    lines.append(f"{name}_bucket{_labels(key, INF)} {total}")
    # HDR keeps no exact sum; mean x count is exact to the histogram's precision.
    lines.append(f"{name}_sum{_labels(key)} {_num(hist.mean * total / 1_000_000)}")
    lines.append(f"{name}_count{_labels(key)} {total}")
    return lines


def render_metrics(agg: Aggregator, gauges: RunGauges) -> str:
    """The whole /metrics page."""
    rows = agg.endpoint_rows()
    keys = [StatsKey(r.method, r.name) for r in rows]
    pairs = list(zip(keys, rows, strict=True))
    out: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")

    family("fastswarm_requests_total", "counter", "Requests completed, per method and name.")
    out += [f"fastswarm_requests_total{_labels(k)} {r.requests}" for k, r in pairs]
    family("fastswarm_failures_total", "counter", "Requests that failed, per method and name.")
    out += [f"fastswarm_failures_total{_labels(k)} {r.failures}" for k, r in pairs]
    family("fastswarm_request_duration_seconds", "histogram", "Response time (HDR-derived buckets).")
    for key in keys:
        out += _histogram_lines("fastswarm_request_duration_seconds", key, agg.histogram(key))
    family("fastswarm_current_rps", "gauge", "Requests per second over the sliding window.")
    out += [f"fastswarm_current_rps{_labels(k)} {_num(r.current_rps)}" for k, r in pairs]
    totals = agg.totals_row()
    family("fastswarm_total_current_rps", "gauge", "All requests per second over the sliding window.")
    out.append(f"fastswarm_total_current_rps {_num(totals.current_rps)}")
    family("fastswarm_user_errors_total", "counter", "Exceptions raised by task code.")
    out.append(f"fastswarm_user_errors_total {sum(u.count for u in agg.user_errors())}")
    family("fastswarm_users", "gauge", "Users running now, across all workers.")
    out.append(f"fastswarm_users {gauges.users}")
    family("fastswarm_target_users", "gauge", "Users asked for by the last start.")
    out.append(f"fastswarm_target_users {gauges.target_users}")
    family("fastswarm_workers", "gauge", "Workers connected and alive.")
    out.append(f"fastswarm_workers {gauges.workers}")
    family("fastswarm_target_rate", "gauge", "Open model: iterations per second asked for (0: closed model).")
    out.append(f"fastswarm_target_rate {_num(float(gauges.target_rate or 0.0))}")
    family("fastswarm_state", "gauge", "1 for the state the run is in, 0 for the others.")
    out += [f'fastswarm_state{{state="{s}"}} {int(s == gauges.state)}' for s in RUN_STATES]
    return "\n".join(out) + "\n"
