"""The HTML report's settings rows and check outcomes, made from the Config and the judged checks.

The rows are an allow-list: only the settings named here reach a report, so a setting added
later stays out until someone decides it is safe to show. Never shown: ``--web-auth-token``,
``--curve-dir`` (where the CURVE keys are), ``--otel-endpoint`` (a collector URL may carry a
token), and a tasks file's custom options marked ``is_secret``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from fastswarm.stats.report_extras import CheckOutcome

if TYPE_CHECKING:
    from fastswarm.config.settings import Config
    from fastswarm.master.checks import CheckResult

Row = tuple[str, str]


def _load_rows(config: Config, shape: str | None) -> list[Row]:
    """What decided how much load was sent: a shape, a capacity search, a rate or users."""
    if shape is not None:
        return [("Load shape", shape)]
    if config.find_capacity:
        start, top = config.capacity_rates
        return [
            (
                "Find capacity",
                f"rates {start:g} to {top:g} iterations/s, {config.capacity_step_time:g} s a step",
            ),
            ("SLOs", "\n".join(config.slos)),
        ]
    if config.rate is not None:
        start, end = config.rate
        rate = f"{start:g} iterations/s" if start == end else f"{start:g} to {end:g} iterations/s"
        rows = [("Rate", rate), ("Arrival", config.arrival)]
        if config.ramp is not None:
            rows.append(("Ramp", f"{config.ramp:g} s"))
        return [*rows, ("Max users", str(config.max_users))]
    return [("Users", str(config.users)), ("Spawn rate", f"{config.spawn_rate:g}/s")]


def _custom_rows(config: Config) -> list[Row]:
    secret = set(config.secret_options)
    return [
        (f"--{name.replace('_', '-')}", str(value))
        for name, value in sorted(config.extra_options.items())
        if name not in secret
    ]


def run_settings(
    config: Config, tasks_file: str, user_classes: Sequence[str], shape: str | None = None
) -> tuple[Row, ...]:
    """The settings that shaped the run, as (label, value) rows free of secrets; ``tasks_file``
    is the file loaded (``-f`` may have been left to its default)."""
    rows = [("Tasks file", tasks_file), *_load_rows(config, shape)]
    rows.append(("Run time", f"{config.run_time:g} s" if config.run_time else "until stopped"))
    if config.master:
        rows.append(("Workers expected", str(config.expect_workers)))
    else:
        rows.append(("Processes", str(config.processes)))
    rows.append(("User classes", ", ".join(user_classes) or "(none)"))
    for label, values in (("Tags", config.tags), ("Excluded tags", config.exclude_tags)):
        if values:
            rows.append((label, ", ".join(values)))
    if config.checks:
        rows.append(("Checks", "\n".join(config.checks)))
        rows.append(("Check abort", "yes" if config.check_abort else "no"))
    if config.stop_timeout:
        rows.append(("Stop timeout", f"{config.stop_timeout:g} s"))
    return (*rows, *_custom_rows(config))


def check_outcomes(results: Iterable[CheckResult]) -> tuple[CheckOutcome, ...]:
    return tuple(CheckOutcome(r.check.expr, r.observed(), r.passed) for r in results)
