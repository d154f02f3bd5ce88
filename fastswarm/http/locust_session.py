"""``HttpSession`` built the way Locust builds one: ``(base_url, request_event, user)``.

Locust code makes extra clients by hand (a second host, a script with no User at all) and
hands them the ``request`` event they should report through. fastswarm's own session takes
the Environment instead, because it records straight into the worker's recorder; this
subclass turns the event into an Environment that reports through it, and is what
``fastswarm.clients.HttpSession`` names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import urllib3

from fastswarm.http.session import HttpSession as BaseHttpSession
from fastswarm.user.env import Environment, current
from fastswarm.user.event import EventHook, Events, RequestHook


class _Relay(RequestHook):
    """Hands each request the session reports to the caller's hook, as if fired by hand.

    Firing a bound ``RequestHook`` records into its recorder and tells its listeners; a
    plain ``EventHook`` (a script's own) only has listeners.
    """

    __slots__ = ("_target",)

    def __init__(self, target: EventHook) -> None:
        super().__init__()
        self._target = target

    def __bool__(self) -> bool:
        return bool(self._target) or getattr(self._target, "recorder", None) is not None

    def notify(self, **kwargs: Any) -> None:
        self._target.fire(**kwargs)


def _environment_for(request_event: EventHook, user: Any) -> Environment:
    """The user's (or the process's) Environment when its ``request`` is this hook, else one
    of its own whose ``request`` relays to it."""
    for env in (getattr(user, "environment", None), current()):
        if isinstance(env, Environment) and env.events.request is request_event:
            return env
    known = getattr(user, "environment", None) or current()
    options = getattr(known, "parsed_options", None)
    return Environment(events=Events(request=_Relay(request_event)), parsed_options=options)


def _split_credentials(base_url: str) -> tuple[str, tuple[str, str] | None]:
    """``base_url`` without ``user:password@``, and those credentials (for basic auth)."""
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"HttpSession: base_url must be http:// or https://host[:port], got {base_url!r}")
    if parts.username is None or parts.password is None:
        return base_url, None
    netloc = parts.netloc.rpartition("@")[2]
    plain = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return plain, (unquote(parts.username), unquote(parts.password))


class HttpSession(BaseHttpSession):
    """An ``HttpSession`` that reports every request through ``request_event`` (Locust's signature).

    ``user`` may be None. ``pool_manager`` shares one ``urllib3.PoolManager`` (its
    connections) between sessions. Credentials in ``base_url`` become basic auth. Keyword
    options of fastswarm's session (``network_timeout``, ``connection_timeout``,
    ``verify``, ``pool_maxsize``) pass through; anything else is a TypeError, as
    ``requests.Session`` would raise.
    """

    def __init__(
        self,
        base_url: str,
        request_event: EventHook,
        user: Any = None,
        *args: Any,
        pool_manager: urllib3.PoolManager | None = None,
        **kwargs: Any,
    ) -> None:
        if args:
            got = 3 + len(args)
            raise TypeError(f"HttpSession takes base_url, request_event, user positionally; got {got}")
        if not isinstance(request_event, EventHook):
            raise TypeError(
                "HttpSession: request_event must be an event hook such as environment.events.request, "
                f"got {type(request_event).__name__}"
            )
        if pool_manager is not None and not isinstance(pool_manager, urllib3.PoolManager):
            kind = type(pool_manager).__name__
            raise TypeError(f"HttpSession: pool_manager must be a urllib3.PoolManager, got {kind}")
        plain, credentials = _split_credentials(base_url)
        super().__init__(_environment_for(request_event, user), plain, user, **kwargs)
        self.request_event = request_event
        if credentials is not None:
            self.auth = credentials
        if pool_manager is not None:
            self._pool = pool_manager
