"""What a finished run measured, for its exit code: nothing at all, or requests cut by the stop."""

from __future__ import annotations

from fastswarm.http.errors import INTERRUPTED_AT_STOP
from fastswarm.stats.aggregator import Aggregator


def nothing_measured(aggregator: Aggregator) -> bool:
    """No request made (not even one cut by the stop) and no task raised: an interrupted start-up."""
    return aggregator.totals_row().requests == 0 and not aggregator.user_errors()


def interrupted_at_stop(aggregator: Aggregator) -> int:
    """Requests cut short by the stop: failures in the statistics, not by themselves a failed run
    (a busy run always has some), unless no request finished at all."""
    return sum(e.count for e in aggregator.errors() if e.error == INTERRUPTED_AT_STOP)
