"""The ``--find-capacity`` options, kept beside the command in their own module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from fastswarm.cli.option_groups import group
from fastswarm.config.settings import parse_duration, parse_rate

capacity_options = group(
    click.option(
        "--find-capacity",
        is_flag=True,
        help="Search for the highest arrival rate that meets every --slo "
        "(open model; -u/-r/-t/--rate do not apply).",
    ),
    click.option(
        "--slo",
        "slos",
        multiple=True,
        metavar="EXPR",
        help="An objective each --find-capacity step must meet, in --check syntax: "
        "'p99<200ms', 'fail_ratio<1%'.",
    ),
    click.option(
        "--capacity-rates",
        default="10:100000",
        show_default=True,
        metavar="START:MAX",
        help="--find-capacity: the first rate tried (it doubles from there) and the most it may try.",
    ),
    click.option(
        "--capacity-step-time",
        default="10s",
        show_default=True,
        help="--find-capacity: how long each rate is held.",
    ),
    click.option(
        "--capacity-bisect",
        type=int,
        default=3,
        show_default=True,
        help="--find-capacity: steps between the last good and first broken rate.",
    ),
)


def capacity_settings(params: dict[str, Any], sourced: Callable[[str, Any, Any], Any]) -> dict[str, Any]:
    """The Config fields of the options above, each bad value naming its source."""
    return {
        "find_capacity": params["find_capacity"],
        "slos": tuple(params["slos"]),
        "capacity_rates": sourced("capacity_rates", parse_rate, params["capacity_rates"]),
        "capacity_step_time": sourced("capacity_step_time", parse_duration, params["capacity_step_time"]),
        "capacity_bisect": params["capacity_bisect"],
    }
