"""HDR percentile curves as inline SVG: one drawing for ``fastswarm compare`` and the run report.

The x axis is HdrHistogram's: ``1/(1-p)`` on a log scale, so the tail from p90 to p99.999
gets as much room as the median does. No ``xmlns`` attribute: the SVG lives inside an HTML
page (whose parser needs none), so the page names no URL at all.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from fastswarm.stats.histogram import LatencyHistogram

WIDTH, HEIGHT, PAD = 640, 260, 44
DECADES = 5  # p up to 99.999
STEPS_PER_DECADE = 10
DECADE_LABELS = ("0%", "90%", "99%", "99.9%", "99.99%", "99.999%")


def percentile_curve(histogram: LatencyHistogram) -> list[tuple[float, float]]:
    """(decades of 1/(1-p), latency ms) from p=0 to p99.999."""
    xs = [k / STEPS_PER_DECADE for k in range(DECADES * STEPS_PER_DECADE + 1)]
    ps = [100.0 * (1.0 - 10.0**-x) for x in xs]
    values = histogram.percentiles(ps)
    return [(x, values[p] / 1000.0) for x, p in zip(xs, ps, strict=True)]


def percentile_svg(curves: Sequence[tuple[str, LatencyHistogram]], label: str = "") -> str:
    """The curves ``(colour, histogram)`` overlaid on one percentile axis; ``label`` names the
    drawing for screen readers (escaped here)."""
    points_of = [(colour, percentile_curve(histogram)) for colour, histogram in curves]
    top = max((ms for _, points in points_of for _, ms in points), default=0.0) or 1.0
    top = 10 ** math.ceil(math.log10(top)) if top < 1 else top * 1.05

    def at(x: float, ms: float) -> str:
        return (
            f"{PAD + x / DECADES * (WIDTH - 2 * PAD):.1f},{HEIGHT - PAD - ms / top * (HEIGHT - 2 * PAD):.1f}"
        )

    name = html.escape(label or "latency by percentile", quote=True)
    parts = [f'<svg width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{name}"><title>{name}</title>']
    for decade, text in enumerate(DECADE_LABELS):
        x = at(decade, 0).split(",")[0]
        parts.append(f'<line x1="{x}" y1="{PAD}" x2="{x}" y2="{HEIGHT - PAD}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x}" y="{HEIGHT - PAD + 16}" font-size="11" text-anchor="middle">{text}</text>'
        )
    for frac in (0.0, 0.5, 1.0):
        y = at(0, top * frac).split(",")[1]
        parts.append(f'<text x="{PAD - 6}" y="{y}" font-size="11" text-anchor="end">{top * frac:.3g}</text>')
    for colour, points in points_of:
        path = " ".join(at(x, ms) for x, ms in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
    parts.append(f'<text x="{PAD}" y="{PAD - 12}" font-size="11">latency (ms) by percentile</text>')
    parts.append("</svg>")
    return "".join(parts)
