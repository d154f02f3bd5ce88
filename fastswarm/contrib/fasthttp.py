"""``from fastswarm.contrib.fasthttp import FastHttpUser``, as ``locust.contrib.fasthttp`` spells it."""

from __future__ import annotations

from fastswarm.http.fast import FastHttpSession as FastHttpSession
from fastswarm.http.fast_users import FastHttpUser as FastHttpUser
from fastswarm.http.response import Response as FastResponse
from fastswarm.http.response import ResponseContextManager as ResponseContextManager
from fastswarm.http.rest import RestResponseContextManager as RestResponseContextManager

__all__ = [
    "FastHttpSession",
    "FastHttpUser",
    "FastResponse",
    "ResponseContextManager",
    "RestResponseContextManager",
]
