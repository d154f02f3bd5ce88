"""``fastswarm compare BASE.json CANDIDATE.json``: what changed between two runs, and did it regress."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from fastswarm.exception import ConfigError, FastswarmError

REGRESSION_EXIT_CODE = 3  # as a failed --check


def _read(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "endpoints" not in data or "run" not in data:
        raise ConfigError(f"{path}: not a fastswarm JSON report (--json)")
    return data


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("candidate", type=click.Path(dir_okay=False))
@click.option(
    "--max-regression",
    "rules",
    multiple=True,
    metavar="RULE",
    help="[ENDPOINT:]METRIC:+N% or +Nms the candidate may move (rps:-N% for a drop); exit 3 past it. "
    "Repeatable. Without ENDPOINT it applies to all requests together.",
)
@click.option(
    "--html", "html_path", type=click.Path(dir_okay=False), help="Write the comparison as an HTML page."
)
def compare_command(base: str, candidate: str, rules: tuple[str, ...], html_path: str | None) -> None:
    """Compare a candidate run's JSON report with a baseline's, from their HDR histograms."""
    from fastswarm.stats.compare import compare, format_comparison, judge, parse_rule
    from fastswarm.stats.compare_html import build_compare_html

    try:
        parsed = [parse_rule(rule) for rule in rules]
        try:
            comparison = compare(_read(base), _read(candidate))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"cannot compare {base} with {candidate}: {exc}") from None
        verdict = judge(comparison, parsed)
        click.echo(format_comparison(comparison), nl=False)
        if html_path:
            Path(html_path).write_text(
                build_compare_html(comparison, base, candidate, verdict), encoding="utf-8"
            )
    except FastswarmError as exc:
        click.echo(f"fastswarm compare: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    for line in verdict:
        click.echo(line)
    if parsed and not verdict:
        click.echo(f"PASS  {len(parsed)} regression rule(s)")
    sys.exit(REGRESSION_EXIT_CODE if verdict else 0)
