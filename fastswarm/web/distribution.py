"""GET /stats/distribution: one endpoint's (or all requests') latency percentile curve.

The UI plots it as HdrHistogram does, on a log ``1/(1-p)`` axis, so the tail from p90 to
p99.999 gets as much room as the median. The points are computed here, on the master, from
the merged HDR histograms (exact counter sums over every worker), never by the browser
from summaries. In an open-model run the corrected latency (completion minus the
iteration's planned start) comes as a second curve over the same percentiles.
"""

from __future__ import annotations

import math
from typing import Any

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import StatsKey
from fastswarm.web.control import ControlError

DECADES = 5  # up to p99.999
STEPS_PER_DECADE = 10
# Even steps along x (decades of 1/(1-p): 0 is p0, 1 is p90, 2 is p99 ... 5 is p99.999),
# plus the percentiles people quote, so a table can read them off the same answer.
_GRID = {
    round(100.0 * (1.0 - 10.0 ** -(k / STEPS_PER_DECADE)), 6) for k in range(DECADES * STEPS_PER_DECADE + 1)
}
PERCENTILES = tuple(sorted(_GRID | {50.0, 75.0, 95.0, 99.5}))
X_STEPS = tuple(round(-math.log10(1.0 - p / 100.0), 6) + 0.0 for p in PERCENTILES)  # + 0.0: no -0.0


class NoSuchEndpoint(ControlError):
    """The query names an endpoint the stats have not seen (HTTP 404)."""


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ControlError(f"{name}: given {len(values)} times", name)
    return values[0]


def find_key(agg: Aggregator, query: dict[str, list[str]]) -> StatsKey | None:
    """The endpoint the query names (``name``, optional ``method``), None for all requests."""
    name, method = _one(query, "name"), _one(query, "method")
    unknown = sorted(set(query) - {"name", "method"})
    if unknown:
        raise ControlError(f"{unknown[0]}: unknown parameter (known: method, name)", unknown[0])
    if name is None:
        if method is not None:
            raise ControlError("method: needs name", "method")
        return None
    keys = [StatsKey(r.method, r.name) for r in agg.endpoint_rows() if r.name == name]
    if method is not None:
        keys = [k for k in keys if k.method == method]
    if not keys:
        shown = f"{method} {name}" if method else name
        raise NoSuchEndpoint(f"{shown}: no such endpoint in the stats")
    if len(keys) > 1:
        methods = ", ".join(k.method for k in keys)
        raise ControlError(f"method: {name!r} is used with several methods ({methods}); pick one", "method")
    return keys[0]


def curve(histogram: LatencyHistogram) -> list[float]:
    """Latency in ms at each of ``PERCENTILES`` (µs precision)."""
    values = histogram.percentiles(PERCENTILES)
    return [values[p] / 1000.0 for p in PERCENTILES]


def _side(histogram: LatencyHistogram) -> dict[str, Any]:
    count = histogram.count
    return {
        "count": count,
        "max_ms": histogram.max / 1000.0 if count else 0.0,
        "ms": curve(histogram) if count else [0.0] * len(PERCENTILES),
    }


def distribution_json(agg: Aggregator, query: dict[str, list[str]]) -> dict[str, Any]:
    """The route's document; ``ControlError`` (400) for a bad query, ``NoSuchEndpoint`` (404)."""
    key = find_key(agg, query)
    corrected = agg.corrected_histogram(key)
    return {
        "method": None if key is None else key.method,
        "name": None if key is None else key.name,
        "percentiles": list(PERCENTILES),
        "x": list(X_STEPS),
        "latency": _side(agg.histogram(key)),
        "corrected": None if corrected is None else _side(corrected),
    }
