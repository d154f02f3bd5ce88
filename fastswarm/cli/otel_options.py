"""The ``--otel`` options, kept beside the command in their own module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]
_OPTIONS = (
    click.option(
        "--otel",
        is_flag=True,
        help="Push the run's metrics over OTLP/HTTP every report interval "
        "(needs pip install 'fastswarm[otel]').",
    ),
    click.option(
        "--otel-endpoint",
        default=None,
        metavar="URL",
        help="With --otel: the collector's OTLP/HTTP base URL (/v1/metrics is added); default: "
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318.",
    ),
)


def otel_options(command: F) -> F:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def otel_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The Config fields of the options above."""
    endpoint = params["otel_endpoint"]
    return {"otel": params["otel"], "otel_endpoint": endpoint.strip() if endpoint else None}
