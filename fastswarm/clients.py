"""``fastswarm.clients``: Locust's ``locust.clients`` path for the HTTP session and its responses.

``HttpSession`` here takes Locust's constructor, ``(base_url, request_event, user,
pool_manager=None)``; an ``HttpUser``'s own ``client`` is its base class,
``fastswarm.http.session.HttpSession``.
"""

from __future__ import annotations

from fastswarm.http.locust_session import HttpSession as HttpSession
from fastswarm.http.response import Response as LocustResponse
from fastswarm.http.response import ResponseContextManager as ResponseContextManager
from fastswarm.http.rest import RestResponseContextManager as RestResponseContextManager

__all__ = ["HttpSession", "LocustResponse", "ResponseContextManager", "RestResponseContextManager"]
