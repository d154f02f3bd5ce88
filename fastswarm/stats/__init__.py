"""Statistics: per-request recording on workers, exact HDR merging and reports on the master.

Layering inside the package: ``histogram`` (the only ``hdrh`` user) <- ``model`` (wire and
report value types) <- ``sparse_histogram``, ``error_groups`` <- ``recorder`` (worker) /
``counts_table``, ``timeline`` <- ``aggregator`` (master) <- ``console``, ``report`` <-
``html_sections`` (over ``percentile_svg`` and ``report_extras``) <- ``html_report``. Nothing
here imports zmq or gevent; ``ipc`` ships what ``recorder`` produces.

The package itself imports none of them, so a worker that needs only the recorder does not
load the master's aggregator and reports: import the module you need. Locust's names
(``from fastswarm.stats import RequestStats``) are served on first use from ``locust_api``
(views over a recorder or an aggregator, which it never imports) <- ``locust_console``.
"""

from __future__ import annotations

from typing import Any

_OBJECTS = frozenset(("RequestStats", "StatsEntry", "StatsError"))
_FUNCTIONS = frozenset(("stats_printer", "stats_history", "print_stats"))


def __getattr__(name: str) -> Any:
    if name in _OBJECTS:
        from fastswarm.stats import locust_api

        return getattr(locust_api, name)
    if name in _FUNCTIONS:
        from fastswarm.stats import locust_console

        return getattr(locust_console, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
