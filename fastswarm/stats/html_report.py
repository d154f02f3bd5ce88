"""A self-contained HTML report: tables and inline SVG charts, no script, no external file.

The charts are drawn here as SVG polylines from the aggregator's per-second history, so
the file opens anywhere (mail attachment, CI artifact, offline) and looks the same. The
settings, checks and latency-distribution sections are ``html_sections``'s.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.html_sections import checks_section, distribution_section, esc, settings_section
from fastswarm.stats.model import EndpointRow, HistoryPoint
from fastswarm.stats.report import RunInfo
from fastswarm.stats.report_extras import ReportExtras

_W, _H, _PAD_L, _PAD_B, _PAD_T = 720, 220, 56, 24, 12
_STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d5dae1;padding:4px 8px;text-align:right}
th{background:#f1f3f6}td.l,th.l{text-align:left}
tr.total td{font-weight:600;background:#fafbfc}
.meta td{text-align:left;white-space:pre-line}.charts svg{display:block;margin:8px 0 18px}
.legend{font-size:12px}.note{font-size:12px;color:#5b6573}
.meta th{text-align:left;font-weight:600}.pair{display:flex;gap:24px;align-items:flex-start}
.pass{color:#1e7b45}.fail{color:#c62828}td.verdict{font-weight:700}
tr.pass td,tr.fail td{color:inherit}code{font-size:12px}
"""


def svg_line_chart(
    title: str, times: Sequence[float], series: Sequence[tuple[str, str, Sequence[float]]], unit: str = ""
) -> str:
    """One chart: ``series`` is (label, colour, values) aligned with ``times`` (epoch s)."""
    plot_w, plot_h = _W - _PAD_L - 10, _H - _PAD_B - _PAD_T - 16
    top = max((max(v, default=0.0) for _, _, v in series), default=0.0) or 1.0
    t0 = times[0] if times else 0.0
    span = (times[-1] - t0) if len(times) > 1 else 1.0
    parts = [
        f'<svg width="{_W}" height="{_H}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<text x="{_PAD_L}" y="12" font-size="12" font-weight="600">{esc(title)}</text>',
    ]
    y0 = _PAD_T + 16
    for i in range(5):
        y = y0 + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(f'<line x1="{_PAD_L}" y1="{y:.1f}" x2="{_W - 10}" y2="{y:.1f}" stroke="#e3e7ec"/>')
        parts.append(
            f'<text x="{_PAD_L - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{value:.4g}{esc(unit)}</text>"
        )
    parts.append(
        f'<text x="{_PAD_L}" y="{_H - 6}" font-size="10">0 s</text>'
        f'<text x="{_W - 10}" y="{_H - 6}" font-size="10" text-anchor="end">{span:.0f} s</text>'
    )
    legend_x = _PAD_L + max(160, 7 * len(title) + 24)  # after the title, never over it
    for label, colour, values in series:
        points = " ".join(
            f"{_PAD_L + plot_w * (t - t0) / span:.1f},{y0 + plot_h * (1 - v / top):.1f}"
            for t, v in zip(times, values, strict=True)
        )
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}"/>')
        parts.append(
            f'<text class="legend" x="{legend_x}" y="12" font-size="12" fill="{colour}">{esc(label)}</text>'
        )
        legend_x += 12 + 8 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def history_charts(history: Sequence[HistoryPoint]) -> str:
    """The three charts the report and the UI both show; the open model's target rate is drawn
    beside the requests it asked for."""
    times = [p.t for p in history]
    rates = [
        ("req/s", "#2f6fdf", [p.rps for p in history]),
        ("failures/s", "#d93b3b", [p.failures_per_s for p in history]),
    ]
    if any(p.target_rate is not None for p in history):
        rates.append(("target rate/s", "#8a5cd0", [p.target_rate or 0.0 for p in history]))
    return "\n".join(
        [
            svg_line_chart("Requests and failures per second", times, rates),
            svg_line_chart("Users", times, [("users", "#2e9d5b", [float(p.users) for p in history])]),
            svg_line_chart(
                "Response time (ms)",
                times,
                [
                    ("p50", "#2f6fdf", [p.p50 for p in history]),
                    ("p95", "#e08a1e", [p.p95 for p in history]),
                    ("p99", "#d93b3b", [p.p99 for p in history]),
                ],
                " ms",
            ),
        ]
    )


def _row_html(r: EndpointRow, total: bool = False) -> str:
    lat = r.latency
    cells = [r.requests, r.failures, f"{r.rps:.2f}", f"{r.failures_per_s:.2f}", lat.p50, lat.p90]
    cells += [lat.p95, lat.p99, lat.p99_9, lat.max, lat.mean, f"{r.bytes_avg:.0f}"]
    tds = "".join(f"<td>{esc(c)}</td>" for c in cells)
    cls = ' class="total"' if total else ""
    return f'<tr{cls}><td class="l">{esc(r.method)}</td><td class="l">{esc(r.name)}</td>{tds}</tr>'


def build_html_report(
    agg: Aggregator, run: RunInfo, extras: ReportExtras | None = None, title: str = "fastswarm report"
) -> str:
    """The whole report as one HTML string; ``extras`` adds the master's settings and checks."""
    extras = extras or ReportExtras()
    head = ["Method", "Name", "Requests", "Failures", "req/s", "fail/s", "p50 ms", "p90 ms"]
    head += ["p95 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms", "avg bytes"]
    ths = "".join(f"<th{' class=l' if i < 2 else ''}>{h}</th>" for i, h in enumerate(head))
    rows = "".join(_row_html(r) for r in agg.endpoint_rows()) + _row_html(agg.totals_row(), True)
    errors = "".join(
        f'<tr><td class="l">{esc(e.method)}</td><td class="l">{esc(e.name)}</td>'
        f'<td class="l">{esc(e.error)}</td><td>{e.count}</td></tr>'
        for e in agg.errors()
    )
    user_errors = "".join(
        f'<tr><td class="l">{esc(u.kind)}</td><td class="l">{esc(u.message)}</td><td>{u.count}</td></tr>'
        for u in agg.user_errors()
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1>"
        f"<h2>Settings</h2>{settings_section(run, extras)}"
        f"<h2>Checks</h2>{checks_section(extras)}"
        f'<h2>Requests</h2><table id="requests"><tr>{ths}</tr>{rows}</table>'
        f"<h2>Latency distribution</h2>{distribution_section(agg)}"
        f'<h2>Charts</h2><div class="charts">{history_charts(agg.history())}</div>'
        f'<h2>Failures</h2><table><tr><th class="l">Method</th><th class="l">Name</th>'
        f'<th class="l">Error</th><th>Count</th></tr>{errors}</table>'
        f'<h2>Errors in task code</h2><table><tr><th class="l">Type</th><th class="l">Message</th>'
        f"<th>Count</th></tr>{user_errors}</table></body></html>\n"
    )


def write_html_report(path: str | os.PathLike[str], text: str) -> None:
    """Write via a temp file so a reader never sees half a report."""
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
