"""Statistics: per-request recording on workers, exact HDR merging and reports on the master.

Layering inside the package: ``histogram`` (the only ``hdrh`` user) <- ``model`` (wire and
report value types) <- ``sparse_histogram``, ``error_groups`` <- ``recorder`` (worker) /
``counts_table``, ``timeline`` <- ``aggregator`` (master) <- ``console``, ``report`` <-
``html_sections`` (over ``percentile_svg`` and ``report_extras``) <- ``html_report``. Nothing
here imports zmq or gevent; ``ipc`` ships what ``recorder`` produces.

The package itself imports none of them, so a worker that needs only the recorder does not
load the master's aggregator and reports: import the module you need.
"""
