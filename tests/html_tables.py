"""Read an HTML report back as a browser would: its tables by id, its text, its tags' attributes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

EXTERNAL = re.compile(r"https?://[^\s\"'<>]*")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append(self._row)
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_report(text: str) -> _Reader:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader


def settings_of(text: str) -> dict[str, str]:
    """The Settings table as label -> value."""
    return {row[0]: row[1] for row in read_report(text).tables["settings"]}


def resource_urls(text: str, allowed: str) -> list[str]:
    """Every http(s) URL in the page except ``allowed`` (the target host, shown as text), and
    every attribute that would load something (src, href, xlink:href, a CSS url(...))."""
    found = [u for u in EXTERNAL.findall(text) if u != allowed]
    for tag, attrs in read_report(text).tags:
        found += [f"<{tag} {name}=...>" for name in attrs if name in ("src", "href", "xlink:href", "srcset")]
    found += re.findall(r"url\(|@import", text)
    return found
