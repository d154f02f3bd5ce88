"""Is this a base URL the workers can use? One check for ``--host`` and for POST /swarm's ``host``.

A URL that looks fine to a regex but not to ``urlsplit`` (``http://[::1``) used to reach the
workers and kill their ramp, leaving the run stuck in spawning: both entry points now refuse
it before any state changes.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_LENGTH = 2048


def base_url_problem(value: object, shown: str) -> str | None:
    """None when ``value`` is an http(s)://host[:port][/path] URL, else why not (``shown`` names it)."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not value.isprintable() or " " in value:
        return f"{shown} is not an http:// or https:// URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"{shown} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{shown} is not an http:// or https://host[:port] URL"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return f"{shown}: a base URL has no ?query or #fragment"
    try:
        if "[" in parts.netloc:
            ipaddress.IPv6Address(parts.hostname)
        else:
            parts.hostname.encode("idna")
    except (ValueError, UnicodeError):
        return f"{shown}: {parts.hostname!r} is not a host name"
    return None
