"""The HTTP side of a user: the urllib3 session, its response wrapper, and ``HttpUser``.

``HttpUser`` is served lazily so that importing the client pieces (as the httptools client
does) does not pull in the user machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastswarm.http.response import Response as Response
from fastswarm.http.response import ResponseContextManager as ResponseContextManager
from fastswarm.http.session import HttpSession as HttpSession

if TYPE_CHECKING:
    from fastswarm.http.users import HttpUser as HttpUser


def __getattr__(name: str) -> Any:
    if name == "HttpUser":
        from fastswarm.http.users import HttpUser

        return HttpUser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
