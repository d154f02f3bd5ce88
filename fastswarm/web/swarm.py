"""Checking a POST /swarm body: each bad value is a ControlError naming its field.

Accepts Locust's names (``user_count``) and the seed's (``locust_count``, ``hatch_rate``)
beside fastswarm's own, so old scripts that drive Locust's API keep working.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fastswarm.compat.spellings import normalize_swarm_body
from fastswarm.config.settings import parse_duration
from fastswarm.exception import ConfigError
from fastswarm.web.control import ControlError, SwarmRequest

_ALIASES = {"user_count": "users", "locust_count": "users", "hatch_rate": "spawn_rate"}
_KNOWN = {"users", "spawn_rate", "host", "run_time", "rate"}
_HOST = re.compile(r"^https?://[^/\s]+")


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ControlError(f"{name}: must be a number", name)
    try:
        number = float(value)
    except ValueError:
        raise ControlError(f"{name}: {value!r} is not a number", name) from None
    if not math.isfinite(number):
        raise ControlError(f"{name}: must be finite", name)
    return number


def parse_swarm(body: Any, default_users: int, default_spawn_rate: float) -> SwarmRequest:
    """The start request in ``body`` (decoded JSON), with defaults for what it leaves out."""
    if not isinstance(body, dict):
        raise ControlError("body: must be a JSON object", "body")
    body = normalize_swarm_body(body)  # the seed's locust_count/hatch_rate: one warning each
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = _ALIASES.get(key, key)
        if name not in _KNOWN:
            raise ControlError(f"{key}: unknown field (known: {', '.join(sorted(_KNOWN))})", key)
        fields[name] = value
    users = _number(fields, "users")
    if users is not None and (users < 0 or users != int(users)):
        raise ControlError("users: must be a whole number >= 0", "users")
    spawn_rate = _number(fields, "spawn_rate")
    if spawn_rate is not None and spawn_rate <= 0:
        raise ControlError("spawn_rate: must be > 0", "spawn_rate")
    rate = _number(fields, "rate")
    if rate is not None and rate <= 0:
        raise ControlError("rate: must be > 0", "rate")
    host = fields.get("host")
    if host in ("", None):
        host = None
    elif not isinstance(host, str) or not _HOST.match(host):
        raise ControlError(f"host: {host!r} is not an http:// or https:// URL", "host")
    run_time = fields.get("run_time")
    if run_time in ("", None, 0):
        run_time = None
    else:
        if isinstance(run_time, bool) or not isinstance(run_time, (int, float, str)):
            raise ControlError("run_time: must be seconds or a duration such as 30s or 5m", "run_time")
        try:
            run_time = parse_duration(run_time, "run_time")
        except ConfigError as exc:
            raise ControlError(str(exc), "run_time") from None
        if run_time <= 0:
            run_time = None
    return SwarmRequest(
        users=int(users) if users is not None else default_users,
        spawn_rate=spawn_rate if spawn_rate is not None else default_spawn_rate,
        host=host.rstrip("/") if host else None,
        run_time=run_time,
        rate=rate,
    )
