"""What a request gave back, and the ``catch_response`` block that judges it.

Both HTTP clients (this urllib3 one and the httptools-based one) build the same
``Response`` and report through the same ``report`` function, so a request is recorded
identically whichever client made it: once, into the recorder, and then to the
``request`` event's listeners only when there are any.
"""

from __future__ import annotations

import json as _json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from fastswarm.exception import CatchResponseError, FastswarmError, ResponseError
from fastswarm.http.body import BodyStream, BytesStream, RawBody, iter_chunks, read_all
from fastswarm.http.errors import ConnectTimeout as ConnectTimeout
from fastswarm.http.errors import ReadTimeout as ReadTimeout
from fastswarm.http.errors import TooManyRedirects as TooManyRedirects
from fastswarm.http.headers import FastHeaders, parse_set_cookies, status_reason
from fastswarm.user.event import error_text

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from fastswarm.user.env import Environment


def status_error_text(status_code: int, reason: str) -> str:
    """The stats line for a status >= 400, without the URL so that one endpoint's errors group."""
    return f"HTTPError {status_code}: {reason}"


class SentRequest(NamedTuple):
    """``response.request`` as in requests: what was sent (old locustfiles read its method)."""

    method: str
    url: str


class Response:
    """A finished request: the status, headers and body, and how long it all took.

    Mirrors the parts of ``requests.Response`` that tasks files use. ``status_code`` is 0
    and ``error`` holds the exception when no response arrived (refused, timed out...).
    """

    __slots__ = (
        "request_method",
        "url",
        "name",
        "status_code",
        "_reason",
        "_headers",
        "_head",
        "_content",
        "_stream",
        "_length",
        "elapsed",
        "start_time",
        "error",
        "context",
        "encoding",
    )

    def __init__(
        self,
        request_method: str,
        url: str,
        name: str,
        status_code: int,
        reason: str | None,
        headers: Mapping[str, str] | None,
        content: bytes,
        elapsed: float,
        start_time: float,
        error: BaseException | None = None,
        context: dict[str, Any] | None = None,
        head: bytes = b"",
        length: int = -1,
        stream: BodyStream | None = None,
    ) -> None:
        self.request_method = request_method
        self.url = url
        self.name = name
        self.status_code = status_code
        # None: parsed from ``head`` (the raw status line and headers) when first read.
        self._reason = reason
        self._headers = headers
        self._head = head
        self._content = content
        # A streamed body not yet read (stream=True); ``content`` reads the rest on first use.
        self._stream = stream
        # What the statistics count: len(content), unless the body was dropped or is unread.
        self._length = len(content) if length < 0 else length
        self.elapsed = elapsed
        self.start_time = start_time
        self.error = error
        self.context = context
        # None means "from the Content-Type charset, else utf-8"; tasks may set it, as in requests.
        self.encoding: str | None = None

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @property
    def content(self) -> bytes:
        """The body; for ``stream=True`` the rest of it is read now (as in requests)."""
        stream = self._stream
        if stream is not None:
            self._stream = None
            self._content = read_all(stream)
        return self._content

    @content.setter
    def content(self, value: bytes) -> None:
        self._stream = None
        self._content = value

    def iter_content(self, chunk_size: int | None = 65536, decode_unicode: bool = False) -> Iterator[Any]:
        """The body in pieces of at most ``chunk_size`` bytes, read as they are asked for.

        With ``stream=True`` this is how a large body is read without holding it; otherwise
        it cuts up ``content``. ``decode_unicode`` yields str (the response's charset).
        """
        stream = self._stream
        self._stream = None
        chunks = iter_chunks(stream if stream is not None else BytesStream(self._content), chunk_size)
        if not decode_unicode:
            return chunks
        import codecs

        decoder = codecs.getincrementaldecoder(self.encoding or self._charset() or "utf-8")(errors="replace")
        return (text for text in (decoder.decode(c) for c in chunks) if text)

    @property
    def raw(self) -> RawBody:
        """A file-like reader of the body (``raw.read(n)``), lazy for ``stream=True``.

        For a streamed response it is one object: what ``raw`` has not read, ``content`` and
        ``iter_content`` still can.
        """
        stream = self._stream
        if stream is None:
            return RawBody(BytesStream(self._content))
        if not isinstance(stream, RawBody):
            stream = self._stream = RawBody(stream)
        return stream

    def close(self) -> None:
        """Give up an unread streamed body (its connection is closed, not reused)."""
        stream = self._stream
        if stream is not None:
            self._stream = None
            stream.close()

    @property
    def reason(self) -> str:
        """The status line's reason phrase ("OK"); "" when no response arrived."""
        reason = self._reason
        if reason is None:
            reason = self._reason = status_reason(self._head)
        return reason

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, case-insensitive."""
        headers = self._headers
        if headers is None:
            headers = self._headers = FastHeaders(self._head)
        return headers

    @headers.setter
    def headers(self, value: Mapping[str, str]) -> None:
        self._headers = value

    def __bool__(self) -> bool:
        return self.ok

    @property
    def request(self) -> SentRequest:
        """The request this answers: ``.method`` and ``.url``."""
        return SentRequest(self.request_method, self.url)

    @property
    def ok(self) -> bool:
        """True when a response arrived and its status is below 400."""
        return self.error is None and 0 < self.status_code < 400

    @property
    def text(self) -> str:
        """The body decoded with ``encoding``, the response's charset, or utf-8."""
        return self.content.decode(self.encoding or self._charset() or "utf-8", errors="replace")

    def _charset(self) -> str | None:
        ctype = self.headers.get("content-type") if self.headers else None
        if not ctype:
            return None
        for param in ctype.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip("\"'") or None
        return None

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON; raises ``json.JSONDecodeError`` (a ValueError) if it is not."""
        charset = self.encoding or self._charset()
        if charset and charset.lower().replace("-", "") not in ("utf8", "ascii"):
            return _json.loads(self.text, **kwargs)
        return _json.loads(self.content, **kwargs)

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response set (its ``Set-Cookie`` headers), name to value."""
        return parse_set_cookies(self.headers)

    def raise_for_status(self) -> None:
        """Raise ``error`` if the request failed to complete, ``ResponseError`` if status >= 400."""
        if self.error is not None:
            raise self.error
        code = self.status_code
        if 400 <= code < 500:
            raise ResponseError(f"{code} Client Error: {self.reason} for url: {self.url}")
        if 500 <= code < 600:
            raise ResponseError(f"{code} Server Error: {self.reason} for url: {self.url}")


def report(
    environment: Environment, response: Response, exc: BaseException | None, error: str | None
) -> None:
    """Record one request into the recorder, then tell the ``request`` listeners if any listen.

    The single exit for every request of both clients, so each is counted exactly once.
    """
    recorder = environment.recorder
    if recorder is not None:
        recorder.record(
            response.request_method, response.name, int(response.elapsed * 1e6), response._length, error
        )
    hook = environment.events.request
    if hook:
        hook.notify(
            request_type=response.request_method,
            name=response.name,
            response_time=response.elapsed * 1000.0,
            response_length=response._length,
            exception=exc,
            context=response.context if response.context is not None else {},
            response=response,
            url=response.url,
            start_time=response.start_time,
        )


def default_outcome(response: Response) -> tuple[BaseException | None, str | None]:
    """The exception and stats line a response earns when nobody judged it: failure if >= 400."""
    if response.error is not None:
        return response.error, error_text(response.error)
    if response.status_code >= 400:
        text = status_error_text(response.status_code, response.reason)
        return ResponseError(text), text
    return None, None


class ResponseContextManager(Response):
    """The response of a ``catch_response=True`` request, recorded when its with-block exits.

    Inside the block ``success()`` or ``failure(msg)`` set the outcome (the last call wins);
    otherwise a status >= 400 or a transport error is a failure. An exception raised in the
    block follows Locust: a ``ResponseError`` marks a failure and is swallowed; any other
    exception goes on to the task, and the request is recorded only if the block had already
    set its outcome (so a task's own error is not also counted as a failed request). A user
    stopped inside the block (``GreenletExit``) still has its finished request counted.
    """

    __slots__ = ("_environment", "_entered", "_judged", "_failure")

    def __init__(self, response: Response, environment: Environment) -> None:
        for slot in Response.__slots__:
            setattr(self, slot, getattr(response, slot))
        self._environment = environment
        self._entered = False
        self._judged = False  # success() or failure() was called; then _failure is the verdict
        self._failure: BaseException | None = None

    def __enter__(self) -> ResponseContextManager:
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        env = self._environment
        if self._judged:
            failure = self._failure
            report(env, self, failure, error_text(failure) if failure is not None else None)
        elif exc is None or not isinstance(exc, Exception):
            report(env, self, *default_outcome(self))
        elif isinstance(exc, ResponseError):
            report(env, self, exc, error_text(exc))
            return True  # Locust's idiom: `raise ResponseError(...)` in the block just fails the request
        return False

    def success(self) -> None:
        """Count this request as a success whatever its status."""
        self._check_entered()
        self._judged, self._failure = True, None

    def failure(self, exc: str | BaseException) -> None:
        """Count this request as a failure; ``exc`` is the message (or an exception) to record."""
        self._check_entered()
        self._judged = True
        self._failure = exc if isinstance(exc, BaseException) else CatchResponseError(exc)

    def _check_entered(self) -> None:
        if not self._entered:
            raise FastswarmError(
                "Tried to set status on a request that has not yet been made. Make sure you use "
                "a with-block, like this:\n\nwith self.client.request(..., catch_response=True) "
                "as response:\n    response.success()"
            )
