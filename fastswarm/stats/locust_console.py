"""Locust's console and chart functions over a ``RequestStats``: ``print_stats``,
``stats_printer`` and ``stats_history``.

Both loops are meant to run as greenlets, as in Locust (``gevent.spawn(stats_printer(stats))``,
``gevent.spawn(stats_history, runner)``); each runs ``rounds`` times, or until its greenlet is
killed, and ``stats_history`` keeps at most ``HISTORY_LIMIT`` points.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from fastswarm.stats.locust_api import RequestStats, StatsEntry

PRINT_INTERVAL_S = 2.0  # Locust's console table period
HISTORY_INTERVAL_S = 5.0  # Locust's history period
HISTORY_LIMIT = 1000  # points kept by stats_history (oldest dropped): bounded memory
CHARTED = (0.5, 0.95)  # the percentiles stats_history keeps, as Locust charts them


def stats_table(stats: RequestStats, current: bool = True) -> list[str]:
    """The console table's lines: a header, one row per entry sorted by (name, method), the total."""
    header = f"{'Type Name':<48} {'# reqs':>8} {'# fails':>14} | " + " ".join(
        f"{h:>8}" for h in ("Avg", "Min", "Max", "Med")
    )
    header += f" | {'req/s':>8} {'failures/s':>10}"
    rule = "-" * len(header)
    entries = stats.entries
    rows = [entries[key].to_string(current) for key in sorted(entries)]
    return [header, rule, *rows, rule, stats.total.to_string(current)]


def print_stats(stats: RequestStats, current: bool = True, out: TextIO | None = None) -> None:
    """Print the table (and a blank line) to ``out``, standard output by default."""
    stream = out if out is not None else sys.stdout
    stream.write("\n".join(stats_table(stats, current)) + "\n\n")
    stream.flush()


def _sleep() -> Callable[[float], None]:
    """gevent's sleep when gevent is loaded (this runs as a greenlet), else time.sleep.

    Looked up, not imported: the stats package stays free of gevent (a process that never
    loaded it gets the plain sleep).
    """
    gevent = sys.modules.get("gevent")
    sleep = getattr(gevent, "sleep", None)
    return sleep if callable(sleep) else time.sleep


def _check_rounds(rounds: int | None) -> None:
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1):
        raise ValueError(f"rounds must be a whole number >= 1 (or None: until killed), got {rounds!r}")


def _rounds(rounds: int | None) -> Iterator[int]:
    n = 0
    while rounds is None or n < rounds:
        yield n
        n += 1


def _check_interval(interval: float) -> None:
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
        raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")


def stats_printer(
    stats: RequestStats,
    interval: float = PRINT_INTERVAL_S,
    rounds: int | None = None,
    out: TextIO | None = None,
) -> Callable[[], None]:
    """A function to spawn as a greenlet (``gevent.spawn(stats_printer(stats))``) that prints
    the table every ``interval`` seconds: ``rounds`` times, or until the greenlet is killed."""
    if not isinstance(stats, RequestStats):
        raise TypeError(f"stats_printer takes a RequestStats, got {type(stats).__name__}")
    _check_interval(interval)
    _check_rounds(rounds)

    def print_periodically() -> None:
        sleep = _sleep()
        for n in _rounds(rounds):
            if n:
                sleep(interval)
            print_stats(stats, out=out)

    return print_periodically


def _state_name(runner: Any) -> str:
    state = getattr(runner, "state", "")
    return str(getattr(state, "value", state))


def history_point(runner: Any) -> dict[str, Any]:
    """What ``stats_history`` appends: Locust's keys, each a ``[time, value]`` pair, and ``time``."""
    total: StatsEntry = runner.stats.total
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    point: dict[str, Any] = {
        f"response_time_percentile_{p}": [stamp, total.get_current_response_time_percentile(p) or 0]
        for p in CHARTED
    }
    point["current_rps"] = [stamp, total.current_rps or 0]
    point["current_fail_per_sec"] = [stamp, total.current_fail_per_sec or 0]
    point["total_avg_response_time"] = [stamp, round(total.avg_response_time, 2)]
    point["user_count"] = [stamp, getattr(runner, "user_count", 0) or 0]
    point["time"] = stamp
    return point


def stats_history(runner: Any, interval: float = HISTORY_INTERVAL_S, rounds: int | None = None) -> None:
    """Append a point to ``runner.stats.history`` every ``interval`` seconds while a test is
    on (not while "ready" or "stopped"), keeping the last ``HISTORY_LIMIT``; run it as a
    greenlet (``gevent.spawn(stats_history, runner)``), ``rounds`` times or until killed."""
    if not isinstance(getattr(runner, "stats", None), RequestStats):
        raise TypeError(
            f"stats_history takes a runner whose .stats is a RequestStats, got {type(runner).__name__}"
        )
    _check_interval(interval)
    _check_rounds(rounds)
    sleep = _sleep()
    for n in _rounds(rounds):
        if n:
            sleep(interval)
        if _state_name(runner) in ("ready", "stopped", "waiting"):
            continue
        history = runner.stats.history
        history.append(history_point(runner))
        del history[:-HISTORY_LIMIT]
