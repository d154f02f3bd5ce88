"""The GET /stats document, built from the master's runner and aggregator (or, through
``snapshot_document``, from library use's local runner: ``local_control.py``).

Endpoint rows carry the --json report's fields (``report.endpoint_json``) plus the live
ones, so a script can read a final report and a live snapshot with the same code. The
``workers`` list (every worker that joined, lost ones included, with why) and the recent
``refused_workers`` are what an operator reads when a host is missing from the run.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastswarm.stats import report
from fastswarm.stats.model import EndpointRow

if TYPE_CHECKING:
    from fastswarm.ipc.coordinator import MasterRunner
    from fastswarm.stats.aggregator import Aggregator


def endpoint(row: EndpointRow) -> dict[str, Any]:
    out = report.endpoint_json(row)
    out["failures_per_s"] = round(row.failures_per_s, 3)
    out["current_rps"] = round(row.current_rps, 3)
    out["current_p50"] = row.current_p50
    out["current_p95"] = row.current_p95
    out["current_p99"] = row.current_p99
    return out


def build_snapshot(
    runner: MasterRunner,
    target_rate: float | None,
    run_time_left_s: float | None,
    defaults: dict[str, Any],
) -> dict[str, Any]:
    agg = runner.aggregator
    now = time.monotonic()
    workers = [
        {
            "id": w.client_id,
            "index": w.index,
            "host": w.hostname,
            "pid": w.pid,
            "state": w.state.value,
            "users": w.users,
            "cpu_percent": round(w.cpu_percent, 1),
            "loop_lag_ms": round(w.loop_lag_ms, 1),
            "heartbeat_age_s": round(max(0.0, now - w.last_seen), 3),
            "alive": w.alive,
            "lost_reason": w.lost_reason or None,
            "protocol_errors": w.protocol_errors,
            "reconnects": w.reconnects,
            "rejoins": w.rejoins,
        }
        for w in sorted(runner.workers.values(), key=lambda w: (not w.alive, w.index))
    ]
    refused = [
        {"at": report.iso_utc(r.at), "host": r.hostname, "pid": r.pid, "reason": r.reason}
        for r in reversed(runner.door.refusals)  # newest first
    ]
    return snapshot_document(
        state=runner.state.value,
        users=runner.user_count,
        target_users=runner.target_users,
        spawn_rate=runner.spawn_rate,
        target_rate=target_rate,
        host=runner.environment.host,
        run_time_left_s=run_time_left_s,
        defaults=defaults,
        aggregator=agg,
        workers=workers,
        refused_workers=refused,
        protocol_errors=runner.protocol_errors,
    )


def snapshot_document(
    *,
    state: str,
    users: int,
    target_users: int,
    spawn_rate: float,
    target_rate: float | None,
    host: str | None,
    run_time_left_s: float | None,
    defaults: dict[str, Any],
    aggregator: Aggregator,
    workers: list[dict[str, Any]],
    refused_workers: list[dict[str, Any]],
    protocol_errors: int,
) -> dict[str, Any]:
    """The /stats document's one layout, whichever runner fills it (the master's or a local one)."""
    agg = aggregator
    return {
        "state": state,
        "users": users,
        "target_users": target_users,
        "spawn_rate": spawn_rate,
        "target_rate": target_rate,
        "host": host,
        "run_time_left_s": None if run_time_left_s is None else round(run_time_left_s, 1),
        "duration_s": round(agg.duration_s, 3),
        "defaults": defaults,
        "workers": workers,
        "refused_workers": refused_workers,
        "protocol_errors": protocol_errors,
        "histogram_bytes": agg.histogram_bytes,
        "totals": endpoint(agg.totals_row()),
        "endpoints": [endpoint(r) for r in agg.endpoint_rows()],
        "errors": report.errors_json(agg),
        "user_errors": report.user_errors_json(agg),
    }
