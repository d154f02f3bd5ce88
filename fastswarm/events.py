"""``import fastswarm.events``: the seed's ``import locust.events`` (Locust 0.x, where events was a module).

The name is the process's ``Events`` instance, the same object as ``from fastswarm import
events``: importing this module puts that instance in its place in ``sys.modules``, so
``fastswarm.events.request``, ``fastswarm.events.EventHook()`` and
``fastswarm.events.locust_start_hatching += f`` all act on the one catalogue.
"""

from __future__ import annotations

import sys

from fastswarm.user.event import events

sys.modules[__name__] = events  # type: ignore[assignment]
