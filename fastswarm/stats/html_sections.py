"""The HTML report's sections beyond the tables: the run's settings, its checks and the latency
distribution (HDR percentile curves, the open model's corrected one beside the measured one).

Every value that came from the user (names, expressions, settings, the host) goes through
``esc``; the host loses any password it carried.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit, urlunsplit

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import us_to_ms
from fastswarm.stats.percentile_svg import percentile_svg
from fastswarm.stats.report import RunInfo, iso_utc
from fastswarm.stats.report_extras import ReportExtras

MEASURED_COLOUR, CORRECTED_COLOUR = "#2f6fdf", "#d93b3b"
TABLE_PCTS = (50.0, 90.0, 95.0, 99.0, 99.9, 99.99)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def without_password(url: str) -> str:
    """``url`` with the password of ``user:password@`` masked: a report is shared, the host's
    credentials are not."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def settings_section(run: RunInfo, extras: ReportExtras) -> str:
    """When, against what, and the settings that shaped the run."""
    ended = "still running" if extras.ended_at is None else iso_utc(extras.ended_at)
    rows = [
        ("Started", iso_utc(run.started_at)),
        ("Ended", ended),
        ("Duration", f"{run.duration_s:.1f} s"),
        ("Host", without_password(run.host or "") or "(none)"),
    ]
    if extras.settings:  # the master's own rows say how many processes it asked for
        rows += extras.settings
    else:
        rows.append(("Workers", str(run.processes)))
        if run.rate is not None:
            rows.append(("Rate", f"{run.rate[0]:g} to {run.rate[1]:g} iterations/s"))
        else:
            rows.append(("Users", str(run.users)))
    cells = "".join(f'<tr><th class="l">{esc(k)}</th><td class="l">{esc(v)}</td></tr>' for k, v in rows)
    return f'<table class="meta" id="settings">{cells}</table>'


def checks_section(extras: ReportExtras) -> str:
    """Each ``--check`` with PASS/FAIL and the value the run measured."""
    checks = extras.checks
    if not checks:
        return '<p id="checks">No <code>--check</code> was given.</p>'
    passed = sum(c.passed for c in checks)
    when = "on the run's merged result" if extras.checks_final else "on the numbers so far (the run goes on)"
    rows = "".join(
        f'<tr class="{"pass" if c.passed else "fail"}"><td class="l verdict">{"PASS" if c.passed else "FAIL"}'
        f'</td><td class="l"><code>{esc(c.expr)}</code></td><td class="l">{esc(c.observed)}</td></tr>'
        for c in checks
    )
    return (
        f'<p class="{"pass" if passed == len(checks) else "fail"}">{passed} of {len(checks)} passed, '
        f'judged {when}.</p><table id="checks"><tr><th class="l">Result</th><th class="l">Check</th>'
        f'<th class="l">Observed</th></tr>{rows}</table>'
    )


def _percentile_rows(measured: LatencyHistogram, corrected: LatencyHistogram | None) -> str:
    ours = measured.percentiles(TABLE_PCTS)
    theirs = corrected.percentiles(TABLE_PCTS) if corrected is not None else {}
    rows = []
    for p in TABLE_PCTS:
        extra = f"<td>{us_to_ms(theirs[p])}</td>" if corrected is not None else ""
        rows.append(f"<tr><td class=l>p{p:g}</td><td>{us_to_ms(ours[p])}</td>{extra}</tr>")
    extra = f"<td>{us_to_ms(corrected.max)}</td>" if corrected is not None else ""
    rows.append(f"<tr><td class=l>max</td><td>{us_to_ms(measured.max)}</td>{extra}</tr>")
    return "".join(rows)


def distribution_section(agg: Aggregator) -> str:
    """All requests' HDR percentile curve; in the open model the corrected curve (latency from
    each iteration's planned start, so a stalled target shows) is drawn over it."""
    measured = agg.histogram(None)
    if not measured.count:
        return '<p id="distribution">No request was recorded.</p>'
    corrected = agg.corrected_histogram(None)
    if corrected is not None and not corrected.count:
        corrected = None
    curves = [(MEASURED_COLOUR, measured)]
    legend = f'<span style="color:{MEASURED_COLOUR}">&#9632; measured (response time)</span>'
    head = '<th class="l">Percentile</th><th>measured ms</th>'
    if corrected is not None:
        curves.append((CORRECTED_COLOUR, corrected))
        legend += (
            f' &nbsp; <span style="color:{CORRECTED_COLOUR}">&#9632; corrected (from each '
            "iteration's planned start: coordinated omission removed)</span>"
        )
        head += "<th>corrected ms</th>"
    svg = percentile_svg(curves, "Latency by percentile, all requests")
    table = (
        f'<table class="pcts" id="percentiles"><tr>{head}</tr>{_percentile_rows(measured, corrected)}</table>'
    )
    return (
        f'<div id="distribution"><p class="legend">{legend}</p>'
        f'<div class="pair">{svg}{table}</div>'
        f"<p class=note>{measured.count} requests; x axis: 1/(1-p) on a log scale.</p></div>"
    )
