"""Checking a POST /swarm body: each bad value is a ControlError naming its field.

Every value is checked, in range and finite, before anything is started: a value the
workers cannot carry (a user count msgpack cannot pack, an unparseable host URL) would
otherwise fail after the run's state had already changed. The limits are the API's, the
same in /openapi.json. Accepts Locust's names (``user_count``) and the seed's
(``locust_count``, ``hatch_rate``) beside fastswarm's own, so old scripts keep working.
"""

from __future__ import annotations

import math
from typing import Any

from fastswarm.compat.spellings import normalize_swarm_body
from fastswarm.config.base_url import MAX_LENGTH, base_url_problem
from fastswarm.config.settings import parse_duration
from fastswarm.exception import ConfigError
from fastswarm.web.control import ControlError, SwarmRequest
from fastswarm.web.reply import shown

MAX_USERS = 10_000_000
MIN_RATE = 0.001  # users/s or iterations/s: one per ~17 minutes
MAX_SPAWN_RATE = 1_000_000.0
MAX_RATE = 10_000_000.0
MAX_RUN_TIME = 366 * 86400.0
MAX_HOST = MAX_LENGTH  # the longest base URL accepted (config/base_url.py)
_KNOWN = {"users", "spawn_rate", "host", "run_time", "rate"}


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    """``body[name]`` (a number or a numeric string) within [low, high]; None if absent."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ControlError(f"{name}: must be a number", name)
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    except ValueError:
        raise ControlError(f"{name}: {shown(value)} is not a number", name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ControlError(
            f"{name}: must be between {_plain(low)} and {_plain(high)}, not {shown(value)}", name
        )
    return number


def _plain(limit: float) -> str:
    return str(int(limit)) if limit == int(limit) else str(limit)


def check_host(value: Any) -> str:
    """``value`` as a base URL the workers can use: http(s), a valid host name or address, a port."""
    problem = base_url_problem(value, shown(value))
    if problem is not None:
        raise ControlError(f"host: {problem}", "host")
    return str(value).rstrip("/")


def _run_time(value: Any) -> float | None:
    if value in ("", None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ControlError("run_time: must be seconds or a duration such as 30s or 5m", "run_time")
    try:
        seconds = parse_duration(value, "run_time")
    except OverflowError:
        seconds = math.inf
    except ConfigError as exc:
        raise ControlError(str(exc), "run_time") from None
    if not math.isfinite(seconds) or seconds > MAX_RUN_TIME:
        raise ControlError(
            f"run_time: must be at most 366 days ({MAX_RUN_TIME:.0f} s), not {shown(value)}", "run_time"
        )
    return seconds if seconds > 0 else None


def parse_swarm(body: Any, default_users: int, default_spawn_rate: float) -> SwarmRequest:
    """The start request in ``body`` (decoded JSON), with defaults for what it leaves out."""
    if not isinstance(body, dict):
        raise ControlError("body: must be a JSON object", "body")
    fields = normalize_swarm_body(body)  # aliases renamed; the seed's warn once each
    for key in fields:
        if key not in _KNOWN:
            key = key if len(key) <= 60 and key.isprintable() else shown(key)
            raise ControlError(f"{key}: unknown field (known: {', '.join(sorted(_KNOWN))})", key)
    users = _number(fields, "users", 0, MAX_USERS)
    if users is not None and users != int(users):
        raise ControlError("users: must be a whole number >= 0", "users")
    spawn_rate = _number(fields, "spawn_rate", MIN_RATE, MAX_SPAWN_RATE)
    rate = _number(fields, "rate", MIN_RATE, MAX_RATE)
    host = None if fields.get("host") in ("", None) else check_host(fields["host"])
    run_time = _run_time(fields.get("run_time"))
    return SwarmRequest(
        users=int(users) if users is not None else default_users,
        spawn_rate=spawn_rate if spawn_rate is not None else default_spawn_rate,
        host=host or None,
        run_time=run_time,
        rate=rate,
    )
