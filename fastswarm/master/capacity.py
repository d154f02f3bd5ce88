"""``--find-capacity``: the highest arrival rate that still meets every ``--slo``.

The search drives the open model (``MasterRunner.set_rate``): it doubles the rate from the
start of ``--capacity-rates START:MAX`` until a step breaks an SLO, then bisects between the
last good and the first bad rate ``--capacity-bisect`` times. Each step holds its rate for
``--capacity-step-time``; the first fifth of it (at most 2 s) lets the previous rate drain and
is not judged. A step is judged on what was measured in it alone: its own HDR histograms
(corrected latency, so a queue building up counts), requests, failures and dropped arrivals,
fed by the aggregator's interval listeners.

A step the generator itself could not drive (a worker's CPU or event-loop lag past the
self-check's limits in most of the step's polls of the workers' heartbeats; one spike from a
busy machine does not count) is marked invalid and ends the search: the knee is then a
lower bound, and the report says so. Dropped arrivals (no free
user within ``--max-users``) break the step, as the target did not keep up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent

from fastswarm.config.check_expr import Check
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import IntervalStats, StatsKey
from fastswarm.stats.open_stats import CPU_LIMIT_PERCENT, LOOP_LAG_LIMIT_MS

if TYPE_CHECKING:
    from fastswarm.ipc.coordinator import MasterRunner

GROWTH = 2.0
MAX_SETTLE_S = 2.0
POLL_S = 0.5
DROPPED_LIMIT = 0.01  # more than 1 % of a step's arrivals dropped breaks it
SATURATED_SHARE = 0.5  # a step is invalid when the generator was saturated in more of its polls


@dataclass
class Saturation:
    """How often, over a step's polls, some worker was past the self-check's limits
    (``cpu_limit`` %, ``lag_limit_ms``: the aggregator's ``GeneratorHealth`` limits)."""

    cpu_limit: float = CPU_LIMIT_PERCENT
    lag_limit_ms: float = LOOP_LAG_LIMIT_MS
    polls: int = 0
    saturated: int = 0
    reason: str | None = None

    def observe(self, workers: list[tuple[str, float, float]]) -> None:
        """One poll: (worker, CPU %, event-loop lag ms) of every live worker."""
        self.polls += 1
        for name, cpu, lag in workers:
            why = (
                f"worker {name} CPU {cpu:.0f}% > {self.cpu_limit:.0f}%"
                if cpu > self.cpu_limit
                else f"worker {name} event-loop lag {lag:.0f} ms > {self.lag_limit_ms:.0f} ms"
                if lag > self.lag_limit_ms
                else None
            )
            if why is not None:
                self.saturated += 1
                self.reason = self.reason or why
                return

    @property
    def limited(self) -> bool:
        return self.polls > 0 and self.saturated > SATURATED_SHARE * self.polls


@dataclass
class StepStats:
    """What one step measured: per-endpoint latency (corrected when open) and counts."""

    started_at: float
    histograms: dict[StatsKey, LatencyHistogram] = field(default_factory=dict)
    requests: dict[StatsKey, int] = field(default_factory=dict)
    failures: dict[StatsKey, int] = field(default_factory=dict)
    iterations: int = 0
    dropped: int = 0
    first_at: float = 0.0
    last_at: float = 0.0

    def add(self, interval: IntervalStats) -> None:
        for entry in interval.entries:
            key = StatsKey(entry.method, entry.name)
            blob = entry.corrected or entry.histogram
            self.histograms.setdefault(key, LatencyHistogram()).merge(LatencyHistogram.from_bytes(blob))
            self.requests[key] = self.requests.get(key, 0) + entry.requests
            self.failures[key] = self.failures.get(key, 0) + entry.failures
        if interval.open_model is not None:
            self.iterations += interval.open_model.iterations
            self.dropped += interval.open_model.dropped
        self.first_at = min(self.first_at or interval.started_at, interval.started_at)
        self.last_at = max(self.last_at, interval.ended_at)

    def measure(self, check: Check) -> float | None:
        """``check``'s metric over this step; None when it has no sample."""
        keys = [
            k
            for k in self.requests
            if check.name is None or (k.name == check.name and check.method in (None, k.method))
        ]
        requests = sum(self.requests[k] for k in keys)
        if not requests:
            return None
        if check.metric == "requests":
            return float(requests)
        if check.metric == "failures":
            return float(sum(self.failures[k] for k in keys))
        if check.metric == "fail_ratio":
            return sum(self.failures[k] for k in keys) / requests
        if check.metric == "rps":
            span = self.last_at - self.first_at
            return requests / span if span > 0 else None
        merged = LatencyHistogram()
        for k in keys:
            merged.merge(self.histograms[k])
        if check.metric in ("min", "max", "mean"):
            return float(getattr(merged, check.metric)) / 1000.0
        return merged.percentile(float(check.metric[1:])) / 1000.0


@dataclass
class Step:
    rate: float
    verdict: str  # "ok", "broken" or "invalid"
    measured: dict[str, float | None]
    reasons: list[str]
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    dropped: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "verdict": self.verdict,
            "reasons": self.reasons,
            "slo": self.measured,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "requests": self.requests,
            "dropped": self.dropped,
        }


def next_rate(steps: list[Step], start: float, top: float, bisections: int) -> float | None:
    """The rate to try after ``steps``, None when the search is over.

    Doubling until the first broken step, then ``bisections`` midpoints between the highest
    good rate below the lowest broken one and that broken rate.
    """
    if not steps:
        return start
    if steps[-1].verdict == "invalid":
        return None
    broken = [i for i, s in enumerate(steps) if s.verdict == "broken"]
    if not broken:
        rate = min(top, steps[-1].rate * GROWTH)
        return rate if rate > steps[-1].rate else None
    high = min(steps[i].rate for i in broken)
    good = [s.rate for s in steps if s.verdict == "ok" and s.rate < high]
    if not good or len(steps) - 1 - broken[0] >= bisections:
        return None
    return round((max(good) + high) / 2.0, 3)


class CapacitySearch:
    """Steps the open-model rate and judges each step on the SLOs; ``on_done`` when finished."""

    def __init__(
        self,
        runner: MasterRunner,
        slos: tuple[Check, ...],
        start: float,
        top: float,
        step_s: float,
        bisections: int,
        on_done: Callable[[], None],
        echo: Callable[[str], None],
    ) -> None:
        self.runner, self.slos = runner, slos
        self.start_rate, self.top, self.step_s, self.bisections = start, top, step_s, bisections
        self.on_done, self.echo = on_done, echo
        self.steps: list[Step] = []
        self._current: StepStats | None = None
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self.runner.aggregator.interval_listeners.append(self._on_interval)
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=True)

    def _on_interval(self, worker_id: str, interval: IntervalStats) -> None:
        step = self._current
        if step is not None and interval.started_at >= step.started_at:
            step.add(interval)

    def _run(self) -> None:
        try:
            while (rate := next_rate(self.steps, self.start_rate, self.top, self.bisections)) is not None:
                self.steps.append(self._hold(rate))
                last = self.steps[-1]
                why = f" ({'; '.join(last.reasons)})" if last.reasons else ""
                self.echo(f"capacity: {rate:g}/s {last.verdict}{why}")
        finally:
            self._current = None
            self.on_done()

    def _hold(self, rate: float) -> Step:
        self.runner.set_rate(rate)
        settle = min(MAX_SETTLE_S, self.step_s / 5.0)
        gevent.sleep(settle)
        stats = self._current = StepStats(started_at=time.time())
        limits = self.runner.aggregator.generator
        health = Saturation(limits.cpu_limit, limits.lag_limit_ms)
        deadline = time.monotonic() + self.step_s - settle
        while time.monotonic() < deadline:
            gevent.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
            workers = self.runner.alive_workers()
            health.observe([(str(w.index), w.cpu_percent, w.loop_lag_ms) for w in workers])
        gevent.sleep(self.runner.options.report_interval * 1.5)  # the step's last intervals arrive
        self._current = None
        return self._judge(rate, stats, health)

    def _judge(self, rate: float, stats: StepStats, health: Saturation) -> Step:
        measured = {slo.expr: stats.measure(slo) for slo in self.slos}
        reasons = [
            f"{slo.expr}: {'no requests' if value is None else f'{value:.6g}'}"
            for slo, value in zip(self.slos, measured.values(), strict=True)
            if value is None or not slo.holds(value)
        ]
        if stats.iterations and stats.dropped > DROPPED_LIMIT * (stats.iterations + stats.dropped):
            reasons.append(f"{stats.dropped} arrivals dropped (no free user within --max-users)")
        verdict = "broken" if reasons else "ok"
        if health.limited:
            share = f"{health.saturated} of {health.polls} polls"
            verdict, reasons = "invalid", [f"generator saturated in {share}: {health.reason}", *reasons]
        p50 = stats.measure(Check("p50", "p50", "<", 0.0, None, None))
        p99 = stats.measure(Check("p99", "p99", "<", 0.0, None, None))
        total = sum(stats.requests.values())
        return Step(rate, verdict, measured, reasons, p50, p99, total, stats.dropped)

    def knee(self) -> Step | None:
        good = [s for s in self.steps if s.verdict == "ok"]
        return max(good, key=lambda s: s.rate) if good else None

    def format_result(self) -> str:
        """The steps as a table, a bar of p99 per step, and the knee."""
        lines = ["Capacity search: " + ", ".join(slo.expr for slo in self.slos)]
        lines.append(f"  {'rate/s':>10} {'requests':>9} {'p50 ms':>9} {'p99 ms':>9} {'dropped':>8}  verdict")
        top = max((s.p99_ms or 0.0 for s in self.steps), default=0.0) or 1.0
        for step in sorted(self.steps, key=lambda s: s.rate):
            p50 = "-" if step.p50_ms is None else f"{step.p50_ms:.3f}"
            p99 = "-" if step.p99_ms is None else f"{step.p99_ms:.3f}"
            bar = "#" * max(1, round((step.p99_ms or 0.0) / top * 30))
            counts = f"{step.rate:>10g} {step.requests:>9} {p50:>9} {p99:>9} {step.dropped:>8}"
            lines.append(f"  {counts}  {step.verdict:<8} {bar}")
        knee = self.knee()
        if knee is None:
            lines.append("No rate met every SLO (the lowest tried broke them): exit 3.")
        else:
            saturated = self.report()["lower_bound_only"]
            bound = " (a lower bound: the generator saturated above it)" if saturated else ""
            lines.append(f"Knee: {knee.rate:g} iterations/s met every SLO{bound}.")
        return "\n".join(lines)

    def report(self) -> dict[str, Any]:
        knee = self.knee()
        return {
            "knee_rate": None if knee is None else knee.rate,
            "lower_bound_only": bool(self.steps) and self.steps[-1].verdict == "invalid",
            "slos": [slo.expr for slo in self.slos],
            "steps": [s.to_json() for s in self.steps],
        }
