"""OTLP metrics for ``--otel``: data points built from ``EndpointTotals``, and the OTLP/HTTP exporter.

The points are built directly with the SDK's data classes (no MeterProvider, no instruments,
nothing recorded per request) and handed to ``OTLPMetricExporter.export`` once per push:
cumulative temporality, start time = the stats' start (the run's, or the last reset's), so a
collector sees ordinary monotonic series. What is sent:

- ``fastswarm.request.duration`` (histogram, ms; ``http.request.method``, ``fastswarm.name``)
- ``fastswarm.requests`` (monotonic sum; the same and ``fastswarm.outcome`` = ok / failure)
- ``fastswarm.request.failures`` (monotonic sum; the same attributes, outcome = failure)
- ``fastswarm.users`` (gauge) and, in the open model, ``fastswarm.target_rate`` (gauge, 1/s)

Importing this module imports the OpenTelemetry SDK and exporter (the optional extra
``fastswarm[otel]``); ``master/otel.py`` imports it only under ``--otel``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from fastswarm.stats.otel_totals import EndpointTotals
from fastswarm.stats.prometheus import RunGauges

# The exporter logs each failed attempt itself; its records are caught here instead (one
# warning line per failure streak comes from the master) and the first one names the reason.
EXPORTER_LOGGER = "opentelemetry.exporter.otlp.proto.http.metric_exporter"
METHOD, NAME, OUTCOME = "http.request.method", "fastswarm.name", "fastswarm.outcome"
_CUMULATIVE = AggregationTemporality.CUMULATIVE
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")
_TRANSIENT = re.compile(r"Transient error (.*) encountered while exporting")


def build_metrics_data(
    endpoints: Sequence[EndpointTotals],
    gauges: RunGauges,
    bounds_ms: Sequence[float],
    start_ns: int,
    now_ns: int,
    resource: Resource,
    scope: InstrumentationScope,
) -> MetricsData:
    """One OTLP push: every endpoint's cumulative totals and the run's gauges, at ``now_ns``."""
    bounds = list(bounds_ms)
    durations, requests, failures = [], [], []
    for e in endpoints:
        endpoint = {METHOD: e.key.method, NAME: e.key.name}
        count = sum(e.bucket_counts)
        if count:
            durations.append(
                HistogramDataPoint(
                    endpoint,
                    start_ns,
                    now_ns,
                    count,
                    e.sum_ms,
                    list(e.bucket_counts),
                    bounds,
                    e.min_ms,
                    e.max_ms,
                )
            )
        failed = {**endpoint, OUTCOME: "failure"}
        requests.append(
            NumberDataPoint({**endpoint, OUTCOME: "ok"}, start_ns, now_ns, e.requests - e.failures)
        )
        requests.append(NumberDataPoint(failed, start_ns, now_ns, e.failures))
        failures.append(NumberDataPoint(failed, start_ns, now_ns, e.failures))
    metrics = [
        Metric(
            "fastswarm.request.duration",
            "Request duration (per endpoint, successes and failures together)",
            "ms",
            Histogram(durations, _CUMULATIVE),
        ),
        Metric("fastswarm.requests", "Requests sent, by outcome", "{request}", _sum(requests)),
        Metric("fastswarm.request.failures", "Requests that failed", "{request}", _sum(failures)),
        Metric(
            "fastswarm.users",
            "Users running",
            "{user}",
            Gauge([NumberDataPoint({}, start_ns, now_ns, gauges.users)]),
        ),
    ]
    if gauges.target_rate is not None:
        point = NumberDataPoint({}, start_ns, now_ns, float(gauges.target_rate))
        metrics.append(
            Metric("fastswarm.target_rate", "Open model: arrivals asked for", "1/s", Gauge([point]))
        )
    scope_metrics = ScopeMetrics(scope, metrics, "")
    return MetricsData([ResourceMetrics(resource, [scope_metrics], "")])


def _sum(points: list[NumberDataPoint]) -> Sum:
    return Sum(points, _CUMULATIVE, is_monotonic=True)


class OtlpPush:
    """The OTLP/HTTP exporter for one run, and why its last push failed.

    ``open()`` builds the exporter (headers, timeout, TLS and compression from the standard
    ``OTEL_EXPORTER_OTLP_*`` variables) and catches its log records; ``close()`` undoes both.
    ``push`` blocks its caller (a greenlet of the master: the sockets are gevent's).
    """

    def __init__(self, endpoint: str, version: str) -> None:
        self.endpoint = endpoint
        self.version = version
        self.last_error = ""
        self._exporter: OTLPMetricExporter | None = None
        self._caught = _Caught()
        self._propagate = True
        self.resource: Resource | None = None
        self.scope = InstrumentationScope("fastswarm", version)

    def open(self) -> None:
        # Resource.create adds OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, as every SDK does.
        self.resource = Resource.create({"service.name": "fastswarm", "service.version": self.version})
        self._exporter = OTLPMetricExporter(endpoint=self.endpoint)
        logger = logging.getLogger(EXPORTER_LOGGER)
        self._propagate, logger.propagate = logger.propagate, False
        logger.addHandler(self._caught)

    def push(self, data: MetricsData) -> bool:
        """Send one push; False (and ``last_error`` set) when it did not arrive."""
        if self._exporter is None:
            raise RuntimeError("OtlpPush.push before open()")
        self._caught.messages.clear()
        try:
            ok = self._exporter.export(data) is MetricExportResult.SUCCESS
        except Exception as exc:  # a push must never end the run
            self.last_error = f"{type(exc).__name__}: {exc}"
            return False
        if not ok:
            self.last_error = _reason(self._caught.messages)
        return ok

    def interrupted(self, limit_s: float) -> None:
        """The caller gave up on a push after ``limit_s``: say why, as far as it got."""
        messages = self._caught.messages
        self.last_error = _reason(messages) if messages else f"no answer within {limit_s:g} s"

    def close(self) -> None:
        if self._exporter is not None:
            self._exporter.shutdown()
            self._exporter = None
            logger = logging.getLogger(EXPORTER_LOGGER)
            logger.removeHandler(self._caught)
            logger.propagate = self._propagate


class _Caught(logging.Handler):
    """Keeps the exporter's messages of the current push."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _reason(messages: list[str]) -> str:
    """The first message's cause, short: '[Errno 111] Connection refused', 'code: 404, ...'."""
    if not messages:
        return "the exporter gave no reason"
    first = messages[0]
    errno = _ERRNO.search(first)
    if errno:
        return errno.group(0).strip()
    transient = _TRANSIENT.search(first)
    text = transient.group(1) if transient else first
    return text if len(text) <= 160 else text[:157] + "..."
