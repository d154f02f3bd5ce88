"""The exactness promise: merged percentiles equal one histogram fed every sample.

Several recorders (workers) get random lognormal latencies over several intervals; every
interval crosses a msgpack wire and is merged by the Aggregator. The result must match a
single LatencyHistogram fed all samples, for every percentile and for min/max/count.
"""

from __future__ import annotations

import random

from fastswarm.ipc import wire
from fastswarm.ipc.messages import StatsReport
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import IntervalStats, StatsKey
from fastswarm.stats.recorder import Recorder

ENDPOINTS = [("GET", "/"), ("GET", "/items"), ("POST", "/items")]
PCTS = (0.0, 50.0, 90.0, 99.0, 99.9, 100.0)


def _over_wire(iv: IntervalStats) -> IntervalStats:
    message = wire.decode(wire.encode(StatsReport(iv, 0)))
    assert isinstance(message, StatsReport)
    return message.interval


def test_merged_percentiles_equal_single_histogram() -> None:
    rng = random.Random(20240501)
    recorders = [Recorder() for _ in range(4)]
    for i, r in enumerate(recorders):
        r.reset(now=1000.0 + i * 0.01)
    agg = Aggregator()
    agg.start(1000.0)
    single = {k: LatencyHistogram() for k in ENDPOINTS}
    everything = LatencyHistogram()
    t = 1000.0
    for _ in range(6):
        t += 1.0
        for r in recorders:
            for _ in range(rng.randrange(300, 900)):
                key = rng.choice(ENDPOINTS)
                us = max(1, int(rng.lognormvariate(8.5, 1.3)))
                r.record(key[0], key[1], us, 100, None if rng.random() > 0.02 else "boom")
                single[key].record(us)
                everything.record(us)
        for w, r in enumerate(recorders):
            agg.add(f"w{w}", _over_wire(r.take_interval(now=t + w * 0.001)))

    def check(h: LatencyHistogram, ref: LatencyHistogram) -> None:
        assert h.count == ref.count
        assert h.min == ref.min
        assert h.max == ref.max
        assert h.percentiles(PCTS) == ref.percentiles(PCTS)
        assert h.mean == ref.mean

    for key, ref in single.items():
        check(agg.histogram(StatsKey(*key)), ref)
    check(agg.histogram(), everything)

    # The reported rows carry the same numbers, in ms.
    rows = {(r.method, r.name): r for r in agg.endpoint_rows()}
    for key, ref in single.items():
        lat = rows[key].latency
        assert rows[key].requests == ref.count
        assert lat.p99 == round(ref.percentile(99) / 1000, 3)
        assert lat.p99_9 == round(ref.percentile(99.9) / 1000, 3)
        assert lat.min == round(ref.min / 1000, 3)
        assert lat.max == round(ref.max / 1000, 3)
    tot = agg.totals_row()
    assert tot.requests == everything.count
    assert tot.latency.p50 == round(everything.percentile(50) / 1000, 3)
