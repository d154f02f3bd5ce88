"""``--otel``: the master pushes the run's metrics over OTLP/HTTP every report interval.

A greenlet wakes every report interval, re-buckets the aggregator's merged counts
(``stats/otel_totals.py``; nothing per request, nothing per worker report), builds one OTLP
request from them and the run's gauges (``stats/otel.py``) and sends it.
The exporter speaks through ``requests`` on gevent-patched sockets (the master process is
patched before anything is imported), so waiting on the collector, and the exporter's own
retries and backoff, park only that greenlet: the receive loop keeps merging.

How long a push may take: a periodic push gets the exporter's own timeout and retries
(``OTEL_EXPORTER_OTLP_TIMEOUT``, 10 s by default); the next one starts when it is done. At
the end of the run the master waits that long (for a push still under way, then for the
final one) only if the collector answered the last push; if it did not, or never has, each
gets one report interval, so a collector that is down does not hold the master's exit.

A failed push is counted, never fatal: the first failure prints one warning line, then
one more at 10, 100, 1000... failures; the JSON report's ``otel`` says how many pushes
arrived and how many failed. After the run's last intervals are merged, ``finish`` makes
one last push, so the collector's final counts are the report's.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

from fastswarm import __version__
from fastswarm.exception import ConfigError
from fastswarm.stats.otel_totals import OtelBuckets

if TYPE_CHECKING:
    from fastswarm.stats.aggregator import Aggregator
    from fastswarm.stats.otel import OtlpPush
    from fastswarm.stats.prometheus import RunGauges

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
METRICS_PATH = "/v1/metrics"
INSTALL_HINT = "pip install 'fastswarm[otel]'"
_URL = re.compile(r"^https?://[^/\s]+")


def resolve_endpoint(configured: str | None, environ: Mapping[str, str]) -> str:
    """Where to push: ``--otel-endpoint`` (a base URL), else the standard variables
    ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` (the full URL, used as is) and
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` (a base URL), else http://127.0.0.1:4318.
    A base URL gets ``/v1/metrics`` unless it already ends with it."""
    sources = [
        ("--otel-endpoint", configured, True),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"), False),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"), True),
    ]
    for source, value, base in sources:
        url = (value or "").strip()
        if not url:
            continue
        if not _URL.match(url):
            raise ConfigError(f"--otel: {source} {url!r} is not an http:// or https:// URL")
        if base and not url.rstrip("/").endswith(METRICS_PATH):
            return url.rstrip("/") + METRICS_PATH
        return url
    return DEFAULT_ENDPOINT + METRICS_PATH


def load_otel() -> ModuleType:
    """``stats/otel.py``, or one ConfigError line when the optional packages are missing."""
    try:
        from fastswarm.stats import otel
    except ImportError as exc:
        missing = f" ({exc.name} is missing)" if exc.name else ""
        raise ConfigError(f"--otel: needs the OpenTelemetry packages{missing}: {INSTALL_HINT}") from None
    return otel


class OtelPusher:
    """Pushes every ``interval`` seconds from its own greenlet; ``finish`` pushes the last totals.

    ``otel`` is ``load_otel()``'s module: loaded first, so a missing package is a ConfigError
    before anything starts.
    """

    def __init__(
        self, endpoint: str, interval: float, gauges: Callable[[], RunGauges], otel: ModuleType
    ) -> None:
        self.endpoint = endpoint
        self.interval = interval
        self.gauges = gauges
        self.buckets = OtelBuckets()
        self.sent = 0
        self.failed = 0
        self._otel = otel
        self._push: OtlpPush | None = None
        self._loop_greenlet: gevent.Greenlet | None = None
        self._aggregator: Aggregator | None = None
        self._answered = False  # did the last push arrive? (not yet: none has)
        self._idle = Event()  # set while no periodic push is under way
        self._idle.set()
        self._stopping = False

    def start(self, aggregator: Aggregator) -> None:
        push = self._otel.OtlpPush(self.endpoint, __version__)
        push.open()
        self._push = push
        self._aggregator = aggregator
        self._loop_greenlet = gevent.spawn(self._loop)

    def finish(self) -> None:
        """Stop the periodic pushes and send the final totals (the run's last intervals are in)."""
        if self._push is None:
            return
        wait = None if self._answered else self.interval
        self._stop_loop(wait)
        self._answered = self._send(self._build(), None if self._answered else self.interval)

    def close(self) -> None:
        self._stop_loop(0.0, count=False)
        if self._push is not None:
            self._push.close()
            self._push = None

    def report(self) -> dict[str, Any]:
        """The JSON report's ``otel``: where the metrics went and how many pushes failed."""
        return {"endpoint": self.endpoint, "pushes": self.sent, "failed": self.failed}

    def _build(self) -> Any:
        push, aggregator = self._push, self._aggregator
        assert push is not None and aggregator is not None
        # The totals count from the aggregator's start (a stats reset restarts both).
        return self._otel.build_metrics_data(
            [point for block in aggregator.run_counts() for point in self.buckets.totals(*block)],
            self.gauges(),
            self.buckets.bounds_ms,
            int(aggregator.started_at * 1e9),
            time.time_ns(),
            push.resource,
            push.scope,
        )

    def _send(self, data: Any, limit_s: float | None) -> bool:
        """One push, given up after ``limit_s`` (None: the exporter's own timeout); a failure
        is counted and warned about, never raised."""
        push = self._push
        assert push is not None
        timer = gevent.Timeout(limit_s) if limit_s is not None else None
        if timer is not None:
            timer.start()
        try:
            ok = bool(push.push(data))
        except gevent.Timeout as fired:
            if fired is not timer:
                raise
            push.interrupted(limit_s or 0.0)
            ok = False
        finally:
            if timer is not None:
                timer.close()
        if ok:
            self.sent += 1
        else:
            self._count_failure()
        return ok

    def _count_failure(self) -> None:
        self.failed += 1
        if _is_power_of_ten(self.failed):
            what = "a push" if self.failed == 1 else f"{self.failed} pushes"
            reason = self._push.last_error if self._push is not None else "closed"
            print(
                f"fastswarm: warning: --otel: {what} to {self.endpoint} failed ({reason}); "
                "the load test is not affected",
                file=sys.stderr,
                flush=True,
            )

    def _loop(self) -> None:
        due = time.monotonic() + self.interval
        while True:
            gevent.sleep(max(0.0, due - time.monotonic()))
            if self._stopping:  # woken in the same turn as finish(): no push may start now
                return
            self._idle.clear()
            try:
                self._answered = self._send(self._build(), None)
            finally:
                self._idle.set()
            # Planned times, not sleeps after pushes; after a push that overran, one at once.
            due = max(due + self.interval, time.monotonic())

    def _stop_loop(self, wait_s: float | None, count: bool = True) -> None:
        """End the loop; a push under way may finish within ``wait_s`` (None: its own timeout).
        One given up on is a failed push (``count``), unless the master is closing on an error."""
        greenlet, self._loop_greenlet = self._loop_greenlet, None
        if greenlet is None:
            return
        self._stopping = True
        if wait_s != 0.0:
            self._idle.wait(wait_s)  # the loop's next step is a sleep: it is killed there
        abandoned = not self._idle.is_set()
        greenlet.kill(block=True)
        if abandoned and count and self._push is not None:
            self._answered = False
            self._push.interrupted(wait_s or 0.0)
            self._count_failure()


def _is_power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1
