"""``fastswarm.event``: Locust's path of the events; re-exports ``fastswarm/user/event.py``."""

from __future__ import annotations

from fastswarm.user.event import EventHook as EventHook
from fastswarm.user.event import Events as Events
from fastswarm.user.event import RequestHook as RequestHook
from fastswarm.user.event import error_text as error_text
from fastswarm.user.event import events as events
