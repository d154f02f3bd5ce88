"""``HttpUser``: a ``User`` whose ``self.client`` is an ``HttpSession`` on its host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastswarm.http.methods import base_host
from fastswarm.http.rest import RestMixin
from fastswarm.http.session import HttpSession
from fastswarm.user.users import User

if TYPE_CHECKING:
    from fastswarm.user.env import Environment


class HttpUser(User, RestMixin):
    """A user that makes HTTP requests through ``self.client``, one connection pool per user.

    Each user gets its own session, so cookies and keep-alive connections are per user, as
    they would be for separate browsers. ``rest``/``rest_`` are Locust's JSON helpers.
    """

    abstract = True

    network_timeout: float | None = 60.0
    """Seconds one whole request may take: connect, headers and body (None: no limit)."""
    connection_timeout: float | None = 60.0
    """Seconds to wait for a connection (and TLS handshake) to be established."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.client = HttpSession(
            environment,
            base_host(environment, self),
            user=self,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
        )
