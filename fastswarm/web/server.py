"""Serving the status app from the master process on gevent.pywsgi, as one more greenlet."""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from typing import Any

import gevent
from gevent.event import Event
from gevent.pywsgi import WSGIServer

from fastswarm.exception import ConfigError

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host in ("", "*"):
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


class WebServer:
    """The status endpoint's listener. Building it binds nothing; ``start`` does.

    ``greenlet`` (Locust's ``web_ui.greenlet``) runs from ``start`` until ``stop``, so a
    tasks file or a script can ``join`` it to wait for the endpoint to close.
    """

    def __init__(self, app: Any, host: str, port: int, token: str | None, source: str = "--web-port") -> None:
        self.app = app
        self.source = source  # what a bind error names: the option, or create_web_ui
        self.host = "0.0.0.0" if host in ("*", "") else host
        self.port = port
        self.token = token
        self._server: WSGIServer | None = None
        self._stopped = Event()
        self.greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        """Bind, warn if exposed without a token, and serve in the background."""
        if not self.token and not is_loopback(self.host):
            print(
                f"fastswarm: WARNING: the status endpoint on {self.host}:{self.port} can start and stop "
                f"tests and is reachable from other machines WITHOUT authentication; {self._token_hint()}",
                file=sys.stderr,
                flush=True,
            )
        server = WSGIServer((self.host, self.port), self.app, log=None, error_log=log)
        try:
            server.start()
        except OSError as exc:
            raise ConfigError(
                f"{self.source}: cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        self._server = server
        self.port = server.server_port
        self.greenlet = gevent.spawn(self._stopped.wait)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        print(
            f"fastswarm: web UI and status endpoint at http://{shown}:{self.port}/",
            file=sys.stderr,
            flush=True,
        )

    def _token_hint(self) -> str:
        if self.source == "--web-port":
            return "set --web-auth-token (or FASTSWARM_WEB_AUTH_TOKEN)"
        return f"pass {self.source}(..., token=...)"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=1)
            self._server = None
        self._stopped.set()
