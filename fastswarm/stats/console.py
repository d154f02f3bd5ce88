"""Text tables for the terminal: the live table and the end-of-run summary.

Pure string building (no printing, no terminal probing) so the caller decides where the
text goes and tests can compare it. Latencies are milliseconds with µs precision (0.412).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastswarm.stats.model import EndpointRow, ErrorStats, UserErrorStats

_NAME_MAX = 48
_TRACEBACKS_SHOWN = 3


def _name_width(rows: Sequence[EndpointRow], floor: int = 10) -> int:
    longest = max((len(r.name) for r in rows), default=0)
    return max(floor, min(_NAME_MAX, longest))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fails(r: EndpointRow) -> str:
    pct = 100.0 * r.failures / r.requests if r.requests else 0.0
    return f"{r.failures}({pct:.2f}%)"


def format_live_table(
    rows: Sequence[EndpointRow], totals: EndpointRow, users: int, workers_alive: int, elapsed_s: float
) -> str:
    """The periodically redrawn table: current rps and current-window p50/p95/p99 per endpoint."""
    nw = _name_width(rows)
    head = (
        f"{'Type':<7} {_clip('Name', nw):<{nw}} {'# reqs':>9} {'# fails':>15} "
        f"{'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
    )
    rule = "-" * len(head)
    lines = [
        f"users: {users}   workers: {workers_alive}   elapsed: {_clock(elapsed_s)}",
        head,
        rule,
    ]
    for r in [*rows, totals] if rows else [totals]:
        if r is totals:
            lines.append(rule)
        lines.append(
            f"{_clip(r.method, 7):<7} {_clip(r.name, nw):<{nw}} {r.requests:>9} {_fails(r):>15} "
            f"{r.current_rps:>9.1f} {r.current_p50:>9.3f} {r.current_p95:>9.3f} {r.current_p99:>9.3f}"
        )
    return "\n".join(lines)


def format_summary(
    rows: Sequence[EndpointRow],
    totals: EndpointRow,
    errors: Sequence[ErrorStats],
    user_errors: Sequence[UserErrorStats],
) -> str:
    """The end-of-run report: whole-run counts, rates and latency distribution, then errors."""
    nw = _name_width(rows)
    cols = ("min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max")
    head = f"{'Type':<7} {_clip('Name', nw):<{nw}} {'# reqs':>9} {'# fails':>15} {'req/s':>9} " + " ".join(
        f"{c:>9}" for c in cols
    )
    rule = "-" * len(head)
    lines = ["Response times (ms)", head, rule]
    for r in [*rows, totals] if rows else [totals]:
        if r is totals:
            lines.append(rule)
        lat = r.latency
        values = (lat.min, lat.mean, lat.p50, lat.p90, lat.p95, lat.p99, lat.p99_9, lat.max)
        lines.append(
            f"{_clip(r.method, 7):<7} {_clip(r.name, nw):<{nw}} {r.requests:>9} {_fails(r):>15} "
            f"{r.rps:>9.2f} " + " ".join(f"{v:>9.3f}" for v in values)
        )
    if errors:
        lines += ["", "Errors", f"{'# occurrences':>13}  {'Method':<7} {'Name':<{nw}} Error"]
        lines += [f"{e.count:>13}  {e.method:<7} {_clip(e.name, nw):<{nw}} {e.error}" for e in errors]
    if user_errors:
        lines += ["", "Exceptions in tasks", f"{'# occurrences':>13}  Exception"]
        for i, u in enumerate(user_errors):
            lines.append(f"{u.count:>13}  {u.kind}: {u.message}")
            if i < _TRACEBACKS_SHOWN and u.traceback:
                lines += ["               " + t for t in u.traceback.rstrip().splitlines()]
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600:d}:{s // 60 % 60:02d}:{s % 60:02d}"
