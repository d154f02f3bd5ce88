"""``FastHttpUser``: a ``User`` whose ``self.client`` is a ``FastHttpSession`` on its host.

The knobs are Locust's FastHttpUser class attributes, with one deliberate difference:
TLS certificates are verified unless the class sets ``insecure = True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastswarm.exception import ConfigError
from fastswarm.http.fast import FastHttpSession
from fastswarm.http.methods import base_host
from fastswarm.http.rest import RestMixin
from fastswarm.user.users import User

if TYPE_CHECKING:
    from fastswarm.user.env import Environment


class FastHttpUser(User, RestMixin):
    """A user that makes HTTP requests through ``self.client``: keep-alive, httptools-parsed.

    Each user has its own connections and cookies, as separate browsers would.
    ``rest``/``rest_`` are Locust's JSON helpers.
    """

    abstract = True

    network_timeout: float | None = 60.0
    """Seconds one whole request may take: connect, headers and body (None: no limit)."""
    connection_timeout: float | None = 60.0
    """Seconds to wait for a connection (and TLS handshake) to be established."""
    max_redirects: int = 30
    """Redirects followed per request before it fails with TooManyRedirects."""
    insecure: bool = False
    """True skips TLS certificate and host name checks (Locust's default is True; ours is not)."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request, on top of User-Agent, Accept and Accept-Encoding."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        host = base_host(environment, self)
        try:
            self.client: Any = FastHttpSession(
                environment,
                host,
                user=self,
                insecure=self.insecure,
                network_timeout=self.network_timeout,
                connection_timeout=self.connection_timeout,
                max_redirects=self.max_redirects,
                default_headers=self.default_headers,
            )
        except ValueError as e:
            raise ConfigError(f"{type(self).__name__}: {e}") from e
