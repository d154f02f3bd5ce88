"""The HTML page of ``fastswarm compare``: both runs' percentile curves overlaid, per endpoint.

The curves are ``percentile_svg``'s (shared with the run report). One self-contained file:
inline SVG, no scripts.
"""

from __future__ import annotations

import html

from fastswarm.stats.compare import LATENCY_METRICS, METRICS, Comparison, Row
from fastswarm.stats.percentile_svg import percentile_svg

COLORS = {"base": "#1f77b4", "candidate": "#d62728"}


def _svg(row: Row) -> str:
    return percentile_svg(
        [(COLORS["base"], row.base_histogram), (COLORS["candidate"], row.candidate_histogram)], row.label
    )


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
