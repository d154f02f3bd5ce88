"""Statistics: per-request recording on workers, exact HDR merging and reports on the master.

Layering inside the package: ``histogram`` (the only ``hdrh`` user) <- ``model`` (wire and
report value types) <- ``sparse_histogram``, ``error_groups`` <- ``recorder`` (worker) /
``counts_table``, ``timeline`` <- ``aggregator`` (master) <- ``console``, ``report``. Nothing
here imports zmq or gevent; ``ipc`` ships what ``recorder`` produces.
"""

from __future__ import annotations

from fastswarm.stats.aggregator import TOTAL_NAME as TOTAL_NAME
from fastswarm.stats.aggregator import Aggregator as Aggregator
from fastswarm.stats.console import format_live_table as format_live_table
from fastswarm.stats.console import format_summary as format_summary
from fastswarm.stats.histogram import LatencyHistogram as LatencyHistogram
from fastswarm.stats.model import EndpointRow as EndpointRow
from fastswarm.stats.model import EntryStats as EntryStats
from fastswarm.stats.model import ErrorStats as ErrorStats
from fastswarm.stats.model import HistoryPoint as HistoryPoint
from fastswarm.stats.model import IntervalStats as IntervalStats
from fastswarm.stats.model import LatencySummary as LatencySummary
from fastswarm.stats.model import StatsKey as StatsKey
from fastswarm.stats.model import UserErrorStats as UserErrorStats
from fastswarm.stats.recorder import OTHER_ERRORS as OTHER_ERRORS
from fastswarm.stats.recorder import Recorder as Recorder
from fastswarm.stats.report import RunInfo as RunInfo
from fastswarm.stats.report import build_json_report as build_json_report
from fastswarm.stats.report import write_csv as write_csv
from fastswarm.stats.report import write_json_report as write_json_report
