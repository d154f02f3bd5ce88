"""``from fastswarm.exception import StopUser``: the module Locust calls ``locust.exception``.

fastswarm's own module is ``fastswarm.exceptions``; this one re-exports the names a
locustfile imports, so porting one means changing only ``locust`` to ``fastswarm``.
``StopLocust`` (an older name of ``StopUser``) is served with a deprecation warning.
"""

from __future__ import annotations

from typing import Any

from fastswarm.exceptions import CatchResponseError as CatchResponseError
from fastswarm.exceptions import ConfigError as ConfigError
from fastswarm.exceptions import FastswarmError as FastswarmError
from fastswarm.exceptions import InterruptTaskSet as InterruptTaskSet
from fastswarm.exceptions import LocustError as LocustError
from fastswarm.exceptions import RescheduleTask as RescheduleTask
from fastswarm.exceptions import ResponseError as ResponseError
from fastswarm.exceptions import StopUser as StopUser

# Locust splits "reschedule" into two; fastswarm's RescheduleTask already skips the wait.
RescheduleTaskImmediately = RescheduleTask

__all__ = [
    "CatchResponseError",
    "ConfigError",
    "FastswarmError",
    "InterruptTaskSet",
    "LocustError",
    "RescheduleTask",
    "RescheduleTaskImmediately",
    "ResponseError",
    "StopUser",
]


def __getattr__(name: str) -> Any:
    from fastswarm.compat import exception_attr

    return exception_attr(name)
