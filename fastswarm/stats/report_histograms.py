"""The JSON report's ``histograms``: each endpoint's HDR histogram, so runs can be compared exactly.

Percentiles alone cannot be compared honestly (a p99 of two runs says nothing about their
p99.9, and two reports' percentiles cannot be merged), so the report carries the histograms
themselves: HdrHistogram's standard V2 compressed encoding in base64, the form HdrHistogram's
own tools read. ``fastswarm compare`` reads them back with ``read_histograms``.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import StatsKey

if TYPE_CHECKING:
    from fastswarm.stats.aggregator import Aggregator

ENCODING = "hdrhistogram-v2-base64"


def encode(histogram: LatencyHistogram) -> str:
    return base64.b64encode(histogram.to_bytes()).decode("ascii")


def decode(text: str) -> LatencyHistogram:
    """ValueError for anything that is not an encoded histogram."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"not base64: {exc}") from None
    return LatencyHistogram.from_bytes(raw)


def histograms_json(agg: Aggregator) -> dict[str, Any]:
    """The report's ``histograms`` object: latency in µs, per endpoint and for all requests."""
    return {
        "encoding": ENCODING,
        "unit": "us",
        "totals": encode(agg.histogram(None)),
        "endpoints": [
            {
                "method": row.method,
                "name": row.name,
                "latency": encode(agg.histogram(StatsKey(row.method, row.name))),
            }
            for row in agg.endpoint_rows()
        ],
    }


def read_histograms(report: dict[str, Any]) -> dict[StatsKey | None, LatencyHistogram]:
    """The histograms a report carries, keyed by endpoint (None: all requests); ValueError if absent."""
    section = report.get("histograms")
    if not isinstance(section, dict) or section.get("encoding") != ENCODING:
        raise ValueError("the report has no histograms (written by a fastswarm older than `compare`)")
    out: dict[StatsKey | None, LatencyHistogram] = {None: decode(section["totals"])}
    for entry in section.get("endpoints", []):
        out[StatsKey(entry["method"], entry["name"])] = decode(entry["latency"])
    return out
