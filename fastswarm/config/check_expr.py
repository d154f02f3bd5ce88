"""``--check`` expressions: their syntax and parsing (judging them is ``master/checks.py``).

An expression is ``[ENDPOINT:]METRIC OP VALUE[UNIT]``:

- METRIC: ``p50``, ``p90``, ``p95``, ``p99``, ``p99.9`` (any ``pN``), ``min``, ``max``,
  ``mean`` (or ``avg``): latency, in ms unless the value says ``s``, ``ms`` or ``us``;
  ``rps`` (requests per second over the run), ``fail_ratio`` (failures / requests;
  ``1%`` means ``0.01``), ``failures``, ``requests``.
- OP: ``<``, ``<=``, ``>``, ``>=``, ``==``.
- ENDPOINT (optional): ``GET /items/{id}`` (method and name) or ``/items/{id}`` (that name
  with any method); without it the check is on all requests together.

Parsing happens when the Config is built, so a typo is exit 2 before any load is sent.
A check whose endpoint received no requests, or whose metric needs a sample the run never
produced (a latency with no requests), fails: a threshold that could not be judged has
not been met.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastswarm.exception import ConfigError

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_LATENCY_UNITS = {"": 1.0, "ms": 1.0, "s": 1000.0, "us": 0.001, "µs": 0.001}
_NAMED_LATENCY = {"min": "min", "max": "max", "mean": "mean", "avg": "mean"}
_COUNTS = ("rps", "fail_ratio", "failures", "requests")
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?|100)")
_EXPR = re.compile(
    r"^(?:(?P<endpoint>.*):)?\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*"
    r"(?P<op><=|>=|==|<|>)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[A-Za-zµ%]*)\s*$"
)
_METHOD = re.compile(r"[A-Z][A-Z0-9_-]*")
_HELP = (
    "expected [ENDPOINT:]METRIC OP VALUE, e.g. 'p99<250ms', 'fail_ratio<0.01', 'GET /items/{id}:p95<100ms'"
)


@dataclass(frozen=True, slots=True)
class Check:
    """One parsed threshold. ``threshold`` is in ms for latency metrics."""

    expr: str
    metric: str  # canonical: "p99", "p99.9", "min", "max", "mean", "rps", "fail_ratio", ...
    op: str
    threshold: float
    method: str | None = None
    name: str | None = None

    @property
    def endpoint(self) -> str | None:
        """The endpoint as written in reports ("GET /x", "/x"), or None for all requests."""
        if self.name is None:
            return None
        return f"{self.method} {self.name}" if self.method else self.name

    @property
    def is_latency(self) -> bool:
        return self.metric not in _COUNTS

    @property
    def unit(self) -> str:
        return "ms" if self.is_latency else ""

    def holds(self, actual: float) -> bool:
        return _OPS[self.op](actual, self.threshold)

    def failed_for_good(self, actual: float | None) -> bool:
        """True when ``actual`` fails and no later traffic could make the check pass."""
        if actual is None or self.holds(actual):
            return False
        if self.metric in ("failures", "requests", "max"):  # never decrease
            return self.op in ("<", "<=") or (self.op == "==" and actual > self.threshold)
        if self.metric == "min":  # never increases
            return self.op in (">", ">=") or (self.op == "==" and actual < self.threshold)
        return False


def parse_check(expr: str) -> Check:
    """One expression → a Check; ConfigError naming the expression and what is wrong."""
    text = expr.strip()
    match = _EXPR.match(text)
    if match is None:
        raise ConfigError(f"--check {expr!r}: {_HELP}")
    metric = match["metric"].lower()
    value, unit = float(match["value"]), match["unit"]
    if metric in _NAMED_LATENCY or _PERCENTILE.fullmatch(metric):
        metric = _NAMED_LATENCY.get(metric, metric)
        scale = _LATENCY_UNITS.get(unit.lower())
        if scale is None:
            raise ConfigError(f"--check {expr!r}: unknown unit {unit!r} (use ms, s or us)")
        value *= scale
        if metric.startswith("p") and not 0 < float(metric[1:]) <= 100:
            raise ConfigError(f"--check {expr!r}: a percentile must be above 0 and at most 100")
    elif metric in _COUNTS:
        if unit == "%" and metric == "fail_ratio":
            value /= 100
        elif unit:
            raise ConfigError(f"--check {expr!r}: {metric} takes no unit (got {unit!r})")
    else:
        known = "p50, p90, p95, p99, p99.9, min, max, mean, avg, rps, fail_ratio, failures, requests"
        raise ConfigError(f"--check {expr!r}: unknown metric {match['metric']!r} (known: {known})")
    method, name = _split_endpoint(match["endpoint"])
    if match["endpoint"] is not None and not name:
        raise ConfigError(f"--check {expr!r}: the endpoint before ':' is empty")
    return Check(text, metric, match["op"], value, method, name)


def _split_endpoint(endpoint: str | None) -> tuple[str | None, str | None]:
    if endpoint is None:
        return None, None
    text = endpoint.strip()
    first, _, rest = text.partition(" ")
    if rest.strip() and _METHOD.fullmatch(first):
        return first, rest.strip()
    return None, text


def parse_checks(exprs: Iterable[str]) -> tuple[Check, ...]:
    return tuple(parse_check(expr) for expr in exprs)
