"""The HTTP side of a user: the urllib3 session, its response wrapper, and ``HttpUser``.

``HttpSession`` and ``HttpUser`` are served lazily so that importing the client pieces (as
the httptools client does) pulls in neither urllib3 nor the user machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastswarm.http.response import Response as Response
from fastswarm.http.response import ResponseContextManager as ResponseContextManager
from fastswarm.http.rest import RestResponseContextManager as RestResponseContextManager

if TYPE_CHECKING:
    from fastswarm.http.session import HttpSession as HttpSession
    from fastswarm.http.users import HttpUser as HttpUser


def __getattr__(name: str) -> Any:
    if name == "HttpUser":
        from fastswarm.http.users import HttpUser

        return HttpUser
    if name == "HttpSession":
        from fastswarm.http.session import HttpSession

        return HttpSession
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
