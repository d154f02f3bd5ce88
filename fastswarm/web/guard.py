"""Refusing requests meant for another site: the Host and Origin checks (DNS rebinding, CSRF).

A page on ``evil.example`` whose name is made to resolve to 127.0.0.1 can make the browser
talk to the master as if it were that site: the request then says ``Host: evil.example``.
So a request is served only when its Host names this server: the address it is bound to,
``localhost``, or a loopback address; when bound to every interface
(``0.0.0.0``, ``::``), any IP address too, since an address cannot be re-pointed as a name
can. Other names must be listed with ``--web-allow-host`` (``*`` allows any; ``.example.com``
allows that domain and every name under it). The port is not compared: a name that cannot
be rebound stays safe behind a forwarded port.

A state change (POST) that carries an ``Origin`` must come from a page of this same server
(its host and port are the Host's) or of an allowed host; ``Origin: null`` is refused.
A request without Host (HTTP/1.0) or without Origin (curl, scripts) is not a browser's
cross-site request and passes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastswarm.web.reply import HttpError, shown

_WILDCARDS = ("", "*", "0.0.0.0", "::", "[::]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6][:port]`` as (lower-case name without brackets, port); None if malformed."""
    text = value.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        name, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        name, port_text = text.split(":")
    else:
        name, port_text = text, None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            return None
        return name.rstrip("."), int(port_text)
    return name.rstrip("."), None


def _is_ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


class HostGuard:
    """Decides whether a request's Host and Origin name this server; ``check`` raises 421/403."""

    def __init__(self, bound_host: str, allowed_hosts: Iterable[str] = ()) -> None:
        self.any_ip = bound_host.strip().lower() in _WILDCARDS
        bound = split_host(bound_host)
        self.local_names = {"localhost"} | ({bound[0]} if bound and not self.any_ip else set())
        self.listed: set[str] = set()  # --web-allow-host names
        self.domains: list[str] = []  # --web-allow-host .domain entries, with the dot
        self.allow_all = False
        for host in allowed_hosts:
            entry = host.strip().lower().rstrip(".")
            if entry == "*":
                self.allow_all = True
            elif entry.startswith("."):
                self.domains.append(entry)
            else:
                parsed = split_host(entry)
                if parsed is not None:
                    self.listed.add(parsed[0])

    def allows(self, name: str) -> bool:
        """True when a Host whose name is ``name`` is this server."""
        if self._listed(name) or name in self.local_names:
            return True
        address = _is_ip(name)
        return address is not None and (address.is_loopback or self.any_ip)

    def check(self, environ: dict[str, Any]) -> None:
        """Raise HttpError 421 for a foreign Host, 403 for a cross-origin state change."""
        if self.allow_all:
            return
        host_header = environ.get("HTTP_HOST")
        if host_header is not None:
            host = split_host(host_header)
            if host is None or not self.allows(host[0]):
                raise HttpError(
                    421,
                    f"Host {shown(host_header)} is not this server; if it is (a proxy or a DNS name), "
                    "start the master with --web-allow-host NAME",
                    "Host",
                )
        if environ.get("REQUEST_METHOD", "GET").upper() in ("GET", "HEAD", "OPTIONS"):
            return
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self._same_site(origin, host_header):
            raise HttpError(
                403,
                f"Origin {shown(origin)}: a page of another site may not change the run's state "
                "(allow it with --web-allow-host NAME)",
                "Origin",
            )

    def _same_site(self, origin: str, host_header: str | None) -> bool:
        """True when ``origin`` is this server as the request addressed it, or a listed site."""
        try:
            parts = urlsplit(origin.strip())
            scheme = parts.scheme.lower()
            port = parts.port or _DEFAULT_PORTS.get(scheme)
        except ValueError:
            return False
        name = (parts.hostname or "").rstrip(".")
        if scheme not in _DEFAULT_PORTS or not name:
            return False  # "null" (sandboxed or file: pages), browser extensions, garbage
        if self._listed(name):
            return True
        host = split_host(host_header) if host_header is not None else None
        return host is not None and host[0] == name and (host[1] or _DEFAULT_PORTS[scheme]) == port

    def _listed(self, name: str) -> bool:
        """Named by --web-allow-host (a name, or under a .domain)."""
        return (
            self.allow_all
            or name in self.listed
            or any(name == domain[1:] or name.endswith(domain) for domain in self.domains)
        )
