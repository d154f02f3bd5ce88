"""Bounded statistics: the name cap and its (other) row, normalised and capped error groups,
and a history that stays a fixed-size ring however long the run."""

from __future__ import annotations

import gc
import logging
import random
import tracemalloc

import pytest

from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.error_groups import OTHER_ERRORS, ErrorGroups, UserErrorGroups, error_key
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.model import ErrorStats, IntervalStats, StatsKey
from fastswarm.stats.open_stats import ArrivalCounters
from fastswarm.stats.recorder import OTHER_NAME, Recorder


def _rows(agg: Aggregator) -> dict[tuple[str, str], int]:
    return {(r.method, r.name): r.requests for r in agg.endpoint_rows()}


def test_recorder_caps_names_into_one_other_row_per_method(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(max_names=3)
    rec.reset(now=0.0)
    for i in range(10):
        for method in ("GET", "POST"):
            rec.record(method, f"/item/{i}", 1000 + i, 10, "HTTPError 500: x" if i == 9 else None)
    with caplog.at_level(logging.WARNING, logger="fastswarm.stats.recorder"):
        iv = rec.take_interval(now=1.0)
        rec.record("GET", "/item/99", 5, 1)
        rec.take_interval(now=2.0)
    by_key = {e.key: e for e in iv.entries}
    named = [k for k in by_key if k.name != OTHER_NAME]
    assert len(named) == 3  # the first three (method, name) pairs
    assert by_key[StatsKey("GET", OTHER_NAME)].requests + by_key[StatsKey("POST", OTHER_NAME)].requests == 17
    assert sum(e.requests for e in iv.entries) == 20  # nothing lost
    other = LatencyHistogram.from_bytes(by_key[StatsKey("POST", OTHER_NAME)].histogram)
    assert other.count == by_key[StatsKey("POST", OTHER_NAME)].requests
    errors = [(e.method, e.name, e.count) for e in iv.errors]
    assert errors == [("GET", OTHER_NAME, 1), ("POST", OTHER_NAME, 1)]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1  # once, not every interval
    assert "more than 3 distinct request names" in warnings[0] and "name=" in warnings[0]
    rec.reset(now=3.0)  # a statistics reset gives names their own rows again
    rec.record("GET", "/fresh", 5, 1)
    assert {e.name for e in rec.take_interval(now=4.0).entries} == {"/fresh"}


def test_capped_names_keep_corrected_latency_in_the_open_model() -> None:
    rec = Recorder(max_names=1)
    rec.enable_open_model(lambda: None, ArrivalCounters())
    rec.record("GET", "/a", 100, 1)
    rec.record("GET", "/b", 200, 1)
    iv = rec.take_interval()
    other = next(e for e in iv.entries if e.name == OTHER_NAME)
    assert LatencyHistogram.from_bytes(other.corrected).count == 1


def _interval(start: float, names: list[str], us: int = 1000) -> IntervalStats:
    rec = Recorder(max_names=10_000)
    rec.reset(now=start)
    for name in names:
        rec.record("GET", name, us, 1, "HTTPError 404: Not Found" if name.endswith("7") else None)
    return rec.take_interval(now=start + 1)


def test_aggregator_caps_names_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    agg = Aggregator(max_names=4)
    agg.start(0.0)
    with caplog.at_level(logging.WARNING, logger="fastswarm.stats.aggregator"):
        agg.add("w0", _interval(0.0, [f"/u/{i}" for i in range(8)]))
        agg.add("w1", _interval(0.0, [f"/u/{i}" for i in range(4, 12)]))
    rows = _rows(agg)
    assert len(rows) == 5 and rows[("GET", OTHER_NAME)] == 16 - 4
    assert sum(rows.values()) == agg.totals_row().requests == 16
    assert agg.names_capped
    assert len(caplog.records) == 1 and "more than 4 distinct request names" in caplog.records[0].getMessage()
    errors = {(e.name, e.error): e.count for e in agg.errors()}
    assert errors == {(OTHER_NAME, "HTTPError 404: Not Found"): 2}  # /u/7 twice, past the cap
    assert agg.histogram(StatsKey("GET", OTHER_NAME)).count == 12


def test_a_workers_other_row_is_counted_and_flagged(caplog: pytest.LogCaptureFixture) -> None:
    agg = Aggregator(max_names=100)
    agg.start(0.0)
    with caplog.at_level(logging.WARNING, logger="fastswarm.stats.aggregator"):
        agg.add("w0", _interval(0.0, ["/a", OTHER_NAME, OTHER_NAME]))
    assert _rows(agg) == {("GET", "/a"): 1, ("GET", OTHER_NAME): 2}
    assert agg.names_capped and len(caplog.records) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPError 404: /items/123 not found", "HTTPError 404: /items/98765 not found"),
        ("connect to 10.0.0.12:443 refused", "connect to 192.168.1.7:8080 refused"),
        ("connect to [::1]:8080 refused", "connect to [fe80::2]:80 refused"),
        ("<Conn object at 0x7f3a2c1b9d90> died", "<Conn object at 0x55d0c0ffee00> died"),
        ("order 3f2504e0-4f89-11d3-9a0c-0305e82c3301", "order 9a0c4f89-0305-11d3-3f25-e82c33013f25"),
        (
            "ProtocolError: ('Connection aborted.', BadStatusLine('9f3c0a\\r\\n'))",
            "ProtocolError: ('Connection aborted.', BadStatusLine('garbage garbage garbage!!'))",
        ),
        ("CatchResponseError: bad body " + "x" * 300, "CatchResponseError: bad body " + "x" * 300 + "y"),
        ("timed out after 1.5s", "timed out after 2.25s"),
    ],
)
def test_error_key_cuts_data_out(a: str, b: str) -> None:
    assert error_key(a) == error_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPError 500: Internal Server Error", "HTTPError 503: Service Unavailable"),
        ("ConnectionRefusedError: [Errno 111] refused", "ConnectionRefusedError: [Errno 2] refused"),
        ("ReadTimeout: read timed out", "ConnectTimeout: connect timed out"),
        ("KeyError: 'price'", "KeyError: 'stock'"),
    ],
)
def test_error_key_keeps_what_tells_errors_apart(a: str, b: str) -> None:
    assert error_key(a) != error_key(b)


def test_error_groups_keep_the_first_example_and_cap(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(max_error_groups=2)
    for i in range(5):
        rec.record("GET", "/a", 5, 0, f"HTTPError 404: /items/{i} not found")
    rec.record("GET", "/a", 5, 0, "HTTPError 500: boom")
    rec.record("GET", "/a", 5, 0, "ReadTimeout: read timed out")
    with caplog.at_level(logging.WARNING, logger="fastswarm.stats.recorder"):
        iv = rec.take_interval()
    assert [(e.error, e.count) for e in iv.errors] == [
        ("HTTPError 404: /items/0 not found", 5),
        ("HTTPError 500: boom", 1),
        (OTHER_ERRORS, 1),
    ]
    assert "distinct error groups" in caplog.text
    # The master regroups what two workers sent by the same key, keeping the first example.
    agg = Aggregator(max_error_groups=2)
    agg.start(0.0)
    agg.add("w0", IntervalStats(0.0, 1.0, errors=(ErrorStats("GET", "/a", "HTTPError 404: /x/1", 2),)))
    agg.add("w1", IntervalStats(0.0, 1.0, errors=(ErrorStats("GET", "/a", "HTTPError 404: /x/22", 3),)))
    assert [(e.error, e.count) for e in agg.errors()] == [("HTTPError 404: /x/1", 5)]


def test_worker_and_master_cap_error_groups_alike_and_warn_once_in_the_same_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One capping helper on both sides: request and user error groups past the limit go to
    one OTHER_ERRORS group, counts kept, one warning per process naming that group."""
    rec = Recorder(max_error_groups=2)
    agg = Aggregator(max_error_groups=2)
    agg.start(0.0)
    with caplog.at_level(logging.WARNING, logger="fastswarm.stats"):
        for second in range(2):
            for exc in (KeyError("k"), IndexError("i"), OSError("o"), TypeError("t")):
                rec.record_user_error(exc)
            for status in (400, 401, 402):
                rec.record("GET", "/a", 5, 0, f"HTTPError {status}: no")
            iv = rec.take_interval(now=second + 1.0)
            kinds = [(u.kind, u.count) for u in iv.user_errors]
            assert kinds == [("KeyError", 1), ("IndexError", 1), ("", 2)]
            assert [e.error for e in iv.errors][-1] == OTHER_ERRORS
            agg.add("w0", iv)
    assert [(e.error, e.count) for e in agg.errors()] == [
        (OTHER_ERRORS, 2),
        ("HTTPError 400: no", 2),
        ("HTTPError 401: no", 2),
    ]
    assert [(u.message, u.count) for u in agg.user_errors()] == [(OTHER_ERRORS, 4), ("i", 2), ("'k'", 2)]
    worker = [r.getMessage() for r in caplog.records if r.name == "fastswarm.stats.recorder"]
    master = [r.getMessage() for r in caplog.records if r.name == "fastswarm.stats.aggregator"]
    rest = f"the rest are counted as {OTHER_ERRORS!r}"
    assert worker == [f"more than 2 distinct error groups in one interval: {rest}"]
    assert master == [f"more than 2 distinct error groups: {rest}"]


def test_error_groups_refuse_a_limit_below_one() -> None:
    for bad in (0, -3):
        with pytest.raises(ValueError, match="limit must be >= 1"):
            ErrorGroups(bad)
        with pytest.raises(ValueError, match="limit must be >= 1"):
            UserErrorGroups(bad)


def test_user_errors_normalised_with_first_traceback() -> None:
    rec = Recorder()
    for i in (17, 18, 19):
        try:
            raise LookupError(f"no row {i} in table")
        except LookupError as exc:
            rec.record_user_error(exc)
    (group,) = rec.take_interval().user_errors
    assert (group.kind, group.message, group.count) == ("LookupError", "no row 17 in table", 3)
    assert "no row 17 in table" in group.traceback


def test_error_groups_bounded_under_a_flood_of_distinct_messages() -> None:
    groups = ErrorGroups(limit=50)
    rng = random.Random(4)
    for i in range(20_000):
        word = rng.choice("abcdefghijklmnopqrstuvwxyz") * 3
        groups.add("GET", f"/p{i % 3}", f"weird {word}{i} {rng.random()}")
    stats = groups.stats()
    assert len(stats) <= 51 and sum(e.count for e in stats) == 20_000


def _held_by_stats() -> int:
    """Bytes traced to allocations made from fastswarm/stats code (numpy's included)."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, "*fastswarm/stats/*", all_frames=True)]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


def test_history_is_a_bounded_ring_and_memory_stops_growing() -> None:
    """A long run with many names: the history keeps ``history_limit`` points, the live
    seconds stay a handful, and what the stats hold after 220 seconds equals what they held
    after 160 (the names and latencies repeat, so nothing new should need memory)."""
    agg = Aggregator(window_s=5.0, history_limit=90)
    agg.start(0.0)
    rng = random.Random(5)
    names = [f"/n/{i}" for i in range(200)]
    latencies = [int(rng.lognormvariate(8, 1)) for _ in range(6)]  # a fixed set of counters

    def run(seconds: range) -> None:
        for s in seconds:
            for w in range(2):
                rec = Recorder()
                rec.reset(now=float(s))
                for name in rng.sample(names, 20):
                    rec.record("GET", name, rng.choice(latencies), 1)
                agg.add(f"w{w}", rec.take_interval(now=s + 1.0))
            if s % 10 == 0:
                agg.endpoint_rows()  # reads, as the console does

    run(range(0, 100))  # warm: every name and counter seen (what stays is the run's totals)
    tracemalloc.start(6)
    try:
        run(range(100, 160))
        agg.endpoint_rows()
        mid = _held_by_stats()
        run(range(160, 220))
        agg.endpoint_rows()
        end = _held_by_stats()
    finally:
        tracemalloc.stop()
    history = agg.history()
    assert [p.t for p in history] == [float(t) for t in range(131, 221)]
    tl = agg._timeline
    assert len(tl._sealed) + len(tl._seconds) == 90 and len(tl._sealed) >= 20  # sealed points
    assert len(tl._live) <= 5 + 2 + 2  # the window, the grace, the second in progress
    assert abs(end - mid) < 0.10 * mid, (mid, end)  # flat, give or take the allocator
    assert history[0].rps == pytest.approx(2 * 20)  # a sealed point kept its rate and percentiles
    assert history[0].p50 > 0
    agg.add("w0", _interval(140.0, ["/late"]))  # for a sealed second: the totals count it
    assert [p.t for p in agg.history()] == [float(t) for t in range(131, 221)]
    assert agg.totals_row().requests == 220 * 2 * 20 + 1
