"""``--web-login``: a login form that trades the ``--web-auth-token`` for a cookie.

Locust's ``--web-login`` shows a form backed by the locustfile's own auth code. Here the
secret already exists, the token, and the status endpoint already takes it as a Bearer
header, as ``/?token=`` (once, for the page) or as the cookie that sets; the form is a
third way to that same cookie, so a browser user types the token once instead of putting
it in the address bar, where it would stay in the history. The cookie is HTTP-only and
SameSite=Strict; ``POST /logout`` clears it. A wrong token answers after a short pause, so
guessing one by one is slow (a random token of 20 characters or more cannot be guessed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import gevent

from fastswarm.web.body import read_body, read_json_body
from fastswarm.web.reply import HttpError, Reply, shown

COOKIE = "fastswarm_token"
WRONG_TOKEN_PAUSE_S = 0.5
_FORM = "application/x-www-form-urlencoded"


def session_cookie(token: str) -> str:
    return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"


def cleared_cookie() -> str:
    return f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"


def login_page(static_dir: Path) -> Reply:
    """The form: self-contained (no /static/ file, which would need the token first)."""
    return 200, [("Content-Type", "text/html; charset=utf-8")], (static_dir / "login.html").read_bytes()


def submitted_token(environ: dict[str, Any]) -> tuple[str, bool]:
    """The token a POST /login carries, and whether it came from the HTML form (else JSON)."""
    kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if kind == _FORM:
        fields = parse_qs(read_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
        return fields.get("token", [""])[0], True
    if kind == "application/json":
        body = read_json_body(environ)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise HttpError(400, "token: a string is required", "token")
        return token, False
    raise HttpError(415, f"Content-Type must be {_FORM} or application/json, not {shown(kind or 'none')}")


def wrong_token_pause() -> None:
    gevent.sleep(WRONG_TOKEN_PAUSE_S)
