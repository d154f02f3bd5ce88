"""The HTML page of ``fastswarm compare``: both runs' percentile curves overlaid, per endpoint.

The x axis is HdrHistogram's: ``1/(1-p)`` on a log scale, so the tail from p90 to p99.999
gets as much room as the median does. One self-contained file: inline SVG, no scripts.
"""

from __future__ import annotations

import html
import math

from fastswarm.stats.compare import LATENCY_METRICS, METRICS, Comparison, Row
from fastswarm.stats.histogram import LatencyHistogram

WIDTH, HEIGHT, PAD = 640, 260, 44
DECADES = 5  # p up to 99.999
STEPS_PER_DECADE = 10
COLORS = {"base": "#1f77b4", "candidate": "#d62728"}


def _curve(histogram: LatencyHistogram) -> list[tuple[float, float]]:
    """(decades of 1/(1-p), latency ms) from p=0 to p99.999."""
    xs = [k / STEPS_PER_DECADE for k in range(DECADES * STEPS_PER_DECADE + 1)]
    ps = [100.0 * (1.0 - 10.0**-x) for x in xs]
    values = histogram.percentiles(ps)
    return [(x, values[p] / 1000.0) for x, p in zip(xs, ps, strict=True)]


def _svg(row: Row) -> str:
    curves = {"base": _curve(row.base_histogram), "candidate": _curve(row.candidate_histogram)}
    top = max((ms for points in curves.values() for _, ms in points), default=0.0) or 1.0
    top = 10 ** math.ceil(math.log10(top)) if top < 1 else top * 1.05

    def at(x: float, ms: float) -> str:
        return (
            f"{PAD + x / DECADES * (WIDTH - 2 * PAD):.1f},{HEIGHT - PAD - ms / top * (HEIGHT - 2 * PAD):.1f}"
        )

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img">']
    for decade, label in enumerate(("0%", "90%", "99%", "99.9%", "99.99%", "99.999%")):
        x = at(decade, 0).split(",")[0]
        parts.append(f'<line x1="{x}" y1="{PAD}" x2="{x}" y2="{HEIGHT - PAD}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x}" y="{HEIGHT - PAD + 16}" font-size="11" text-anchor="middle">{label}</text>'
        )
    for frac in (0.0, 0.5, 1.0):
        y = at(0, top * frac).split(",")[1]
        parts.append(f'<text x="{PAD - 6}" y="{y}" font-size="11" text-anchor="end">{top * frac:.3g}</text>')
    for side, points in curves.items():
        path = " ".join(at(x, ms) for x, ms in points)
        parts.append(f'<polyline fill="none" stroke="{COLORS[side]}" stroke-width="2" points="{path}"/>')
    parts.append(f'<text x="{PAD}" y="{PAD - 12}" font-size="11">latency (ms) by percentile</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(row: Row) -> str:
    cells = ["<tr><th>metric</th><th>base</th><th>candidate</th><th>change</th></tr>"]
    for metric in METRICS:
        before, after = row.base.value(metric), row.candidate.value(metric)
        change = "n/a" if before == 0 else f"{(after - before) / before * 100:+.1f}%"
        unit = " ms" if metric in LATENCY_METRICS else ""
        note = " <small>(few samples)</small>" if row.few_samples(metric) else ""
        cells.append(
            f"<tr><td>{metric}{note}</td><td>{before:.3f}{unit}</td><td>{after:.3f}{unit}</td><td>{change}</td></tr>"
        )
    return "<table>" + "".join(cells) + "</table>"


def build_compare_html(
    comparison: Comparison, base_name: str, candidate_name: str, verdict: list[str]
) -> str:
    """The whole page; ``verdict`` is ``judge``'s lines (empty: no rule broken or none given)."""
    legend = (
        "<p>"
        + " &nbsp; ".join(
            f'<span style="color:{COLORS[side]}">&#9632; {side}: {html.escape(name)}</span>'
            for side, name in (("base", base_name), ("candidate", candidate_name))
        )
        + "</p>"
    )
    verdict_html = "".join(f"<p class=fail>{html.escape(line)}</p>" for line in verdict)
    sections = [
        f"<h2>{html.escape(row.label)}</h2><p>{row.base.requests} vs {row.candidate.requests} requests</p>"
        f"<div class=pair>{_svg(row)}{_table(row)}</div>"
        for row in comparison.rows
    ]
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>fastswarm compare</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}.pair{display:flex;gap:2em}"
        ".fail{color:#b00;font-weight:bold}</style></head><body><h1>fastswarm compare</h1>"
        + legend
        + verdict_html
        + "".join(sections)
        + "</body></html>\n"
    )
