"""Reading a command's JSON body, bounded before it is parsed.

A body is read only up to ``MAX_BODY`` bytes (declared or chunked), and its nesting is
counted on the raw text before ``json.loads`` sees it: the decoder recurses once per level
and a few thousand ``[`` would otherwise end in RecursionError. ``NaN`` and ``Infinity``
are not JSON and are refused, so no non-finite number gets past the body.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from fastswarm.web.reply import HttpError, shown

MAX_BODY = 64 * 1024
MAX_DEPTH = 16
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [1 if b in b"[{" else -1 for b in range(256)]


def read_json_body(environ: dict[str, Any]) -> Any:
    """The decoded body of a POST (``{}`` when empty); HttpError 400/413/415 otherwise."""
    kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise HttpError(415, f"Content-Type must be application/json, not {shown(kind or 'none')}")
    raw = read_body(environ)
    if not raw.strip():
        return {}
    if nesting_depth(raw) > MAX_DEPTH:
        raise HttpError(400, f"body: nested deeper than {MAX_DEPTH} levels", "body")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, bad UTF-8, int too long
        raise HttpError(400, f"body: not valid JSON ({str(exc)[:200]})", "body") from None


def nesting_depth(raw: bytes) -> int:
    """The deepest ``[``/``{`` nesting of ``raw`` outside strings.

    Exact for any prefix of ``raw`` that is valid JSON, which is all the decoder would
    recurse through. Linear and in C: escapes and then strings are cut out by regexes that
    cannot backtrack far, and the brackets left are summed with ``accumulate``.
    """
    bare = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKET)
    return max(0, max(accumulate(map(_STEP.__getitem__, bare)), default=0))


def read_body(environ: dict[str, Any]) -> bytes:
    """The raw body, within ``MAX_BODY`` bytes (413 beyond); no Content-Length and not chunked: empty."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared:
        if not declared.isdigit():
            raise HttpError(400, f"Content-Length: {shown(declared)} is not a number", "Content-Length")
        length = int(declared)
        if length > MAX_BODY:
            raise HttpError(413, f"body: larger than {MAX_BODY} bytes")
        return stream.read(length) if length else b""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        raw = stream.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise HttpError(413, f"body: larger than {MAX_BODY} bytes")
        return bytes(raw)
    return b""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
