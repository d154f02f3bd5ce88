"""The errors a request fails with when no proper response arrived, named for their cause.

Their type and text are what the statistics group failures by, so each says what happened
(refused, timed out, reset, closed early, unparsable, unknown host) and leaves out what
varies from one occurrence to the next (the bytes received, object addresses). Both HTTP
clients raise the same ones, so a failure reads the same whichever client met it.
"""

from __future__ import annotations

from fastswarm.exception import ResponseError


class ConnectTimeout(TimeoutError):
    """No connection within the connect timeout (named as in requests)."""


class ReadTimeout(TimeoutError):
    """The server accepted the connection but did not answer within the read timeout."""


class TooManyRedirects(Exception):
    """A redirect chain longer than the session allows."""


class ServerClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


class InvalidResponse(ConnectionError):
    """What the server sent is not an HTTP/1.x response (the bytes themselves are left out of
    the message, so that garbage from one endpoint is one error group, not one per reply)."""


class HostNotFound(ConnectionError):
    """The host name of the URL does not resolve."""


class InterruptedAtStop(ResponseError):
    """The run stopped while this request was in flight: it is recorded as this failure."""


INTERRUPTED_AT_STOP = "interrupted at stop"
"""The error a request still in flight when its user is stopped is recorded with."""
