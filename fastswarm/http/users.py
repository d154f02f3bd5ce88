"""``HttpUser``: a ``User`` whose ``self.client`` is an ``HttpSession`` on its host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastswarm.exceptions import ConfigError
from fastswarm.http.session import HttpSession
from fastswarm.user import User

if TYPE_CHECKING:
    from fastswarm.env import Environment


class HttpUser(User):
    """A user that makes HTTP requests through ``self.client``, one connection pool per user.

    Each user gets its own session, so cookies and keep-alive connections are per user, as
    they would be for separate browsers.
    """

    abstract = True

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        host = environment.host or self.host  # --host (or the web UI's host) wins, as in Locust
        if not host:
            raise ConfigError(
                "You must specify the base host. Either in the host attribute in the User class, "
                "or on the command line using the --host option."
            )
        self.client = HttpSession(host, environment, user=self)
