"""The master's CPU for merging stats: W simulated workers x N endpoint names, one report each per second.

    python bench/master.py [--workers 64] [--names 100] [--seconds 10] [--warmup 2] [--rps-per-name 50]
                           [--otel] [--hdr-log FILE]

Builds each worker's report the way a worker does (a real Recorder fed lognormal latencies,
``take_interval``, ``StatsReport`` through ``ipc.wire.encode``), then times what the master does
with them each second: ``wire.decode`` (which checks every field and builds the IntervalStats)
and ``Aggregator.add``, plus
one console refresh (``endpoint_rows`` + ``totals_row``). Prints CPU per simulated second as a
percentage of one core; the goal (issue 3) is <= 10 %. The first ``--warmup`` seconds are merged
but not timed: they pay one-off costs (first touches of the master's counter matrices, imports)
that a run pays once, not every second. ``--otel`` adds what ``--otel`` costs the master: one
OTLP push a second built from the merged counts and serialised (not sent). ``--hdr-log FILE``
adds what ``--hdr-log`` costs: each interval's histogram written to FILE (timed with the merge).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, uninstalled

from fastswarm.ipc import wire  # noqa: E402
from fastswarm.ipc.messages import StatsReport  # noqa: E402
from fastswarm.stats.aggregator import Aggregator  # noqa: E402
from fastswarm.stats.hdr_log import HdrLogWriter  # noqa: E402
from fastswarm.stats.model import IntervalStats  # noqa: E402
from fastswarm.stats.recorder import Recorder  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _reports(workers: int, names: int, rps_per_name: int, variants: int) -> list[list[list[bytes]]]:
    """``variants`` seconds of frames for every worker (reused cyclically: building is not timed)."""
    rng = random.Random(3)
    out = []
    for v in range(variants):
        second = []
        for _ in range(workers):
            rec = Recorder()
            for i in range(names):
                method, name = ("GET" if i % 4 else "POST"), f"/api/v1/resource/{i}"
                for _ in range(rps_per_name):
                    us = int(rng.lognormvariate(9, 0.8))  # ~8 ms median, a long right tail
                    rec.record(method, name, us, 512, "HTTPError 500" if rng.random() < 0.01 else None)
            interval = rec.take_interval(now=1_000.0 + v)
            interval = IntervalStats(999.0 + v, 1_000.0 + v, interval.entries, interval.errors, ())
            second.append(wire.encode(StatsReport(interval, 10)))
        out.append(second)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=64)
    p.add_argument("--names", type=int, default=100)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2, help="seconds merged before timing starts")
    p.add_argument("--rps-per-name", type=int, default=50, help="requests per name per worker per second")
    p.add_argument("--otel", action="store_true", help="also build and serialise one --otel push a second")
    p.add_argument("--hdr-log", metavar="FILE", help="also write the master's HdrHistogram interval log")
    a = p.parse_args()
    t_build = time.perf_counter()
    variants = _reports(a.workers, a.names, a.rps_per_name, 3)
    payload = sum(len(f) for fr in variants[0] for f in fr) / a.workers
    print(
        f"built {a.workers} workers x {a.names} names in {time.perf_counter() - t_build:.1f}s; "
        f"{payload / 1024:.1f} KiB per report"
    )
    agg = Aggregator()
    agg.start(999.0)
    push = _otel_push(agg) if a.otel else None
    hdr_log = _hdr_log(agg, a.hdr_log) if a.hdr_log else None
    merge_cpu = rows_cpu = otel_cpu = 0.0
    for s in range(a.warmup + a.seconds):
        frames_of_second = variants[s % len(variants)]
        shift = s - s % len(variants)
        c0 = _cpu()
        for w, frames in enumerate(frames_of_second):
            msg = wire.decode(frames)
            assert isinstance(msg, StatsReport)
            interval = msg.interval
            if shift:  # later seconds: same payloads, moved along the clock
                interval = IntervalStats(
                    interval.started_at + shift,
                    interval.ended_at + shift,
                    interval.entries,
                    interval.errors,
                    (),
                )
            agg.add(f"w{w}", interval)
        c1 = _cpu()
        agg.endpoint_rows()
        agg.totals_row()
        c2 = _cpu()
        if push is not None:
            push()
        c3 = _cpu()
        if s >= a.warmup:
            merge_cpu += c1 - c0
            rows_cpu += c2 - c1
            otel_cpu += c3 - c2
    merge_pct = 100 * merge_cpu / a.seconds
    rows_pct = 100 * rows_cpu / a.seconds
    otel_pct = 100 * otel_cpu / a.seconds
    total = merge_pct + rows_pct + otel_pct
    reqs = sum(r.requests for r in agg.endpoint_rows())
    print(f"merged {reqs:,} requests over {a.warmup} + {a.seconds} simulated seconds (warm-up + timed)")
    print(f"merge (wire.decode + Aggregator.add): {merge_pct:5.1f} % of a core")
    print(f"console refresh (endpoint_rows + totals_row): {rows_pct:5.1f} % of a core")
    if push is not None:
        print(f"otel push (build + serialise, once a second): {otel_pct:5.1f} % of a core")
    if hdr_log is not None:
        hdr_log.close()
        print(f"--hdr-log: {hdr_log.intervals} intervals written to {a.hdr_log} (inside the merge figure)")
    print(f"master total: {total:5.1f} % of a core (goal <= 10 %: {'met' if total <= 10 else 'NOT met'})")


def _hdr_log(agg: Aggregator, path: str) -> HdrLogWriter:
    """--hdr-log's master-side work, hooked as the master hooks it."""
    writer = HdrLogWriter(path)
    writer.open(999.0)
    agg.counts_listeners.append(writer.on_interval)
    return writer


def _otel_push(agg: Aggregator) -> Callable[[], None]:
    """--otel's master-side work: one push a second, re-bucketed from the merged counts."""
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    from fastswarm.stats.otel import build_metrics_data
    from fastswarm.stats.otel_totals import OtelBuckets
    from fastswarm.stats.prometheus import RunGauges

    buckets = OtelBuckets()
    resource, scope = Resource.create({"service.name": "bench"}), InstrumentationScope("fastswarm", "0")

    def push() -> None:
        gauges = RunGauges("running", 640, 640, 64)
        now = time.time_ns()
        totals = [point for block in agg.run_counts() for point in buckets.totals(*block)]
        data = build_metrics_data(totals, gauges, buckets.bounds_ms, 1, now, resource, scope)
        encode_metrics(data).SerializeToString()

    return push


if __name__ == "__main__":
    main()
