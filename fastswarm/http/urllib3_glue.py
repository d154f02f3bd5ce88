"""What urllib3 gives ``HttpSession`` that is not yet fastswarm's: its errors, a streamed body.

urllib3 wraps each failure (``NewConnectionError`` around a refusal, ``ProtocolError``
around ``http.client``'s ``BadStatusLine`` carrying the garbage it read...). ``transport_error``
turns them into the errors ``errors.py`` names, with the same type and text FastHttpUser
raises, and without the bytes received, so one cause is one error group.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from fastswarm.http.errors import ConnectTimeout, HostNotFound, InvalidResponse, ReadTimeout, ServerClosed

_CHUNK = 65536


def transport_error(exc: Exception, timeout: urllib3.Timeout, url: str) -> BaseException:
    """The exception a task sees when no response came: the same type and text as FastHttpUser's."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(exc, ReadTimeoutError):
        return ReadTimeout(f"read timed out after {timeout.read_timeout} s")
    if isinstance(exc, NewConnectionError):  # before ConnectTimeoutError: it is a subclass
        cause = exc.__cause__
        if isinstance(cause, socket.gaierror):
            return HostNotFound(f"could not resolve host {host!r}: {cause.strerror}")
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionRefusedError(cause.errno, f"connection to {where} refused")
        if isinstance(cause, TimeoutError):
            return ConnectTimeout(f"connect to {where} timed out after {timeout.connect_timeout} s")
        return cause if isinstance(cause, OSError) else exc
    if isinstance(exc, ConnectTimeoutError):
        return ConnectTimeout(f"connect to {where} timed out after {timeout.connect_timeout} s")
    if isinstance(exc, SSLError) and exc.args and isinstance(exc.args[0], ssl.SSLError):
        return exc.args[0]
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(exc.args[1], BaseException):
        return broken(exc.args[1], where)
    return broken(exc, where)


def broken(exc: BaseException, where: str) -> BaseException:
    """What broke a response, named without the bytes received (they would split the group)."""
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return ServerClosed("server closed the connection before the response was complete")
    if isinstance(exc, http.client.HTTPException):
        reason = "bad status line" if isinstance(exc, http.client.BadStatusLine) else type(exc).__name__
        return InvalidResponse(f"invalid HTTP response from {where}: {reason}")
    return exc


class UrllibBody:
    """The unread body of a stream=True response (``body.BodyStream``), read by the task."""

    __slots__ = ("_resp",)

    def __init__(self, resp: urllib3.BaseHTTPResponse) -> None:
        self._resp = resp

    def read_chunk(self) -> bytes:
        return self._resp.read(_CHUNK)

    def close(self) -> None:
        resp = self._resp
        if not resp.closed:
            resp.close()  # the rest is never read: the connection cannot be reused
        resp.release_conn()
