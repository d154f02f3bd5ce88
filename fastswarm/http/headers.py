"""Response headers of the httptools client, parsed from the raw bytes only when a task reads them.

Most load-test tasks never look at a response's headers, so ``fast_conn`` does not ask
httptools for them (a Python callback per header costs more than the rest of the parse);
it keeps the bytes that arrived before the body instead. llhttp has validated those bytes
by the time the response is complete, so splitting them into lines here is enough.
``parse_set_cookies`` reads the Set-Cookie lines of either client's headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

_OWS = " \t"


def head_end(raw: bytes) -> int:
    """Where the header block of ``raw`` ends (before its blank line); ``len(raw)`` if it does not."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")  # bare line feeds, which lenient servers send
    return len(raw) if end < 0 else end


def status_reason(raw: bytes) -> str:
    """The reason phrase of the status line at the start of ``raw`` (``"OK"``), or ``""``."""
    end = raw.find(b"\n")
    line = raw[: end if end >= 0 else len(raw)].rstrip(b"\r")
    parts = line.split(b" ", 2)
    return parts[2].decode("latin-1").strip(_OWS) if len(parts) == 3 else ""


def parse_head(raw: bytes) -> dict[str, list[str]]:
    """Lower-cased name -> values, in arrival order, of the header lines of a raw response head.

    A line starting with white space continues the previous value (obsolete line folding).
    """
    found: dict[str, list[str]] = {}
    text = raw[: head_end(raw)].decode("latin-1")
    last: list[str] | None = None
    for line in text.split("\n")[1:]:  # the first line is the status line
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in _OWS:
            if last:
                last[-1] = f"{last[-1]} {line.strip(_OWS)}".strip(_OWS)
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = found.setdefault(name.strip(_OWS).lower(), [])
        last.append(value.strip(_OWS))
    return found


class FastHeaders(Mapping[str, str]):
    """Response headers, case-insensitive, parsed from the raw head on first read.

    Repeated headers are joined with ", " (as requests does); ``getlist`` gives them apart,
    which the cookie parser uses for Set-Cookie.
    """

    __slots__ = ("_raw", "_map")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._map: dict[str, list[str]] | None = None

    def _lookup(self) -> dict[str, list[str]]:
        m = self._map
        if m is None:
            m = self._map = parse_head(self._raw)
        return m

    def __getitem__(self, key: str) -> str:
        return ", ".join(self._lookup()[key.lower()])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def getlist(self, key: str) -> list[str]:
        return list(self._lookup().get(key.lower(), ()))

    def __repr__(self) -> str:
        return f"FastHeaders({dict(self.items())!r})"


NO_HEADERS = FastHeaders(b"")  # what a request that got no response shows


def parse_set_cookies(headers: Mapping[str, str]) -> dict[str, str]:
    """Name to value for each ``Set-Cookie`` header; an expired cookie maps to ``""``.

    ``headers`` may hold several Set-Cookie lines (urllib3's ``getlist``), or one joined line.
    """
    from http.cookies import CookieError, SimpleCookie  # only where cookies are set: not at start-up

    getlist = getattr(headers, "getlist", None)
    lines = getlist("set-cookie") if getlist is not None else [headers.get("set-cookie", "")]
    found: dict[str, str] = {}
    for line in lines:
        if not line:
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(line)
        except CookieError:
            continue
        for name, morsel in jar.items():
            found[name] = "" if morsel["max-age"] in ("0", "-1") else morsel.value
    return found
