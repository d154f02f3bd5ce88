"""The HTML report's sections, read back from the rendered page: settings, checks, the latency
distribution and the per-second charts; escaping, no external resource, no secret."""

from __future__ import annotations

import os
import time
import types
from pathlib import Path

import pytest

from fastswarm.config.options import OptionParser, apply_custom_options
from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.master.checks import evaluate, parse_checks
from fastswarm.master.loader import TasksFile
from fastswarm.master.preflight import check_before_start
from fastswarm.master.report_settings import check_outcomes, run_settings
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.histogram import LatencyHistogram
from fastswarm.stats.html_report import build_html_report
from fastswarm.stats.html_sections import TABLE_PCTS, without_password
from fastswarm.stats.model import EntryStats, ErrorStats, IntervalStats, us_to_ms
from fastswarm.stats.report import RunInfo, iso_utc
from fastswarm.stats.report_extras import CheckOutcome, ReportExtras
from fastswarm.user.event import Events
from tests.html_tables import read_report, resource_urls, settings_of

HOST = "http://127.0.0.1:8080"
EVIL = '<script>alert("x")</script>'
SAMPLES = [300, 800, 1_500, 1_500, 2_500, 4_000, 9_000, 40_000, 120_000, 2_000_000]


def _hist(samples: list[int]) -> bytes:
    h = LatencyHistogram()
    for us in samples:
        h.record(us)
    return h.to_bytes()


def _aggregator(open_model: bool = False, name: str = "/a") -> Aggregator:
    agg = Aggregator()
    t = time.time() - 5
    agg.start(t)
    if open_model:
        agg.target_rate = 40.0
    for second in range(3):
        late = _hist([us + 5_000 for us in SAMPLES]) if open_model else b""
        entry = EntryStats("GET", name, len(SAMPLES), 1, 100, _hist(SAMPLES), late)
        errors = (ErrorStats("GET", name, "HTTPError 500", 1),)
        agg.add("w0", IntervalStats(t + second, t + second + 1, (entry,), errors))
    return agg


def _run(agg: Aggregator, host: str = HOST) -> RunInfo:
    return RunInfo(agg.started_at, agg.duration_s, host, 4, 2)


def _checks(agg: Aggregator) -> tuple[CheckOutcome, ...]:
    return check_outcomes(evaluate(parse_checks(("p99<10s", "GET /a:p50<1ms", "GET /nope:p50<1ms")), agg))


def test_every_section_is_there_with_the_runs_values() -> None:
    agg = _aggregator()
    ended = agg.started_at + 4
    extras = ReportExtras((("Tasks file", "shop.py"), ("Users", "4")), _checks(agg), True, ended)
    page = build_html_report(agg, _run(agg), extras)
    tables = read_report(page).tables
    for heading in ("Settings", "Checks", "Requests", "Latency distribution", "Charts", "Failures"):
        assert f"<h2>{heading}</h2>" in page
    settings = settings_of(page)
    assert settings["Started"] == iso_utc(agg.started_at) and settings["Ended"] == iso_utc(ended)
    assert settings["Host"] == HOST and settings["Tasks file"] == "shop.py" and settings["Users"] == "4"
    assert tables["checks"][1:] == [
        ["PASS", "p99<10s", "p99 = 2000.89 ms"],  # as the console prints it: 6 digits
        ["FAIL", "GET /a:p50<1ms", "GET /a p50 = 2.501 ms"],
        ["FAIL", "GET /nope:p50<1ms", "no requests to GET /nope"],
    ]
    assert "1 of 3 passed, judged on the run's merged result." in page
    want = agg.histogram(None).percentiles(TABLE_PCTS)
    rows = tables["percentiles"]
    assert rows[0] == ["Percentile", "measured ms"]  # closed model: no corrected column
    assert rows[1:] == [[f"p{p:g}", str(us_to_ms(want[p]))] for p in TABLE_PCTS] + [["max", "2000.895"]]
    distribution = page[page.index('<div id="distribution">') : page.index("<h2>Charts</h2>")]
    assert distribution.count("<polyline") == 1 and "corrected" not in distribution


def test_the_open_model_draws_the_corrected_curve_and_the_target_rate() -> None:
    agg = _aggregator(open_model=True)
    page = build_html_report(agg, _run(agg), ReportExtras())
    distribution = page[page.index('<div id="distribution">') : page.index("<h2>Charts</h2>")]
    assert distribution.count("<polyline") == 2 and "coordinated omission" in distribution
    rows = read_report(page).tables["percentiles"]
    corrected = agg.corrected_histogram(None)
    assert corrected is not None and rows[0] == ["Percentile", "measured ms", "corrected ms"]
    want = corrected.percentiles(TABLE_PCTS)
    assert [r[2] for r in rows[1:-1]] == [str(us_to_ms(want[p])) for p in TABLE_PCTS]
    assert rows[-1] == ["max", "2000.895", str(us_to_ms(corrected.max))]
    assert [p.target_rate for p in agg.history()] == [40.0, 40.0, 40.0]
    charts = page[page.index("<h2>Charts</h2>") :]
    assert "target rate/s" in charts and charts.count("<polyline") == 7  # 3 + users + p50/p95/p99


def test_a_closed_run_has_no_target_rate_series() -> None:
    agg = _aggregator()
    page = build_html_report(agg, _run(agg))
    assert "target rate/s" not in page and [p.target_rate for p in agg.history()] == [None] * 3


def test_every_user_string_is_escaped() -> None:
    agg = _aggregator(name=f"/x{EVIL}")
    extras = ReportExtras(
        ((f"--label{EVIL}", EVIL),), (CheckOutcome(f"{EVIL}:p99<1s", EVIL, False),), True, None
    )
    page = build_html_report(agg, _run(agg, host=HOST), extras, title=f"run {EVIL}")
    assert "<script" not in page.lower() and "alert(" in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 6
    reader = read_report(page)
    assert reader.tables["requests"][1][1] == f"/x{EVIL}"  # the browser shows the name as written
    assert [tag for tag, _ in reader.tags if tag in ("script", "img", "iframe")] == []


def test_the_page_loads_nothing_from_anywhere() -> None:
    agg = _aggregator(open_model=True)
    page = build_html_report(agg, _run(agg), ReportExtras(checks=_checks(agg)))
    assert resource_urls(page, allowed=HOST) == []
    assert HOST in page  # the target host is shown, as text
    assert "xmlns" not in page and "<link" not in page and "<script" not in page


def test_the_hosts_password_is_masked() -> None:
    agg = _aggregator()
    page = build_html_report(agg, _run(agg, host="http://alice:s3cr3t@127.0.0.1:8080/api"))
    assert "s3cr3t" not in page and settings_of(page)["Host"] == "http://alice:***@127.0.0.1:8080/api"
    assert without_password("http://127.0.0.1:1") == "http://127.0.0.1:1"
    assert without_password("http://[::1") == "http://[::1"  # not a URL: shown as it is


def test_an_empty_or_running_report_says_so() -> None:
    agg = Aggregator()
    page = build_html_report(agg, RunInfo(time.time(), 0.0, None, 0, 1), ReportExtras(checks_final=False))
    assert "No request was recorded." in page and "No <code>--check</code> was given." in page
    assert settings_of(page)["Ended"] == "still running" and settings_of(page)["Host"] == "(none)"
    live = ReportExtras(checks=(CheckOutcome("p99<1s", "p99 = 3 ms", True),), checks_final=False)
    assert "judged on the numbers so far" in build_html_report(agg, RunInfo(time.time(), 0.0, "", 0, 1), live)


def test_report_extras_rows_must_be_pairs() -> None:
    with pytest.raises(ValueError, match="each row is"):
        ReportExtras(settings=(("Users",),))  # type: ignore[arg-type]


def test_settings_rows_for_each_kind_of_run() -> None:
    closed = dict(run_settings(Config(users=7, spawn_rate=2.5, run_time=30), "shop.py", ["Shop"]))
    assert closed["Users"] == "7" and closed["Spawn rate"] == "2.5/s" and closed["Run time"] == "30 s"
    assert (
        closed["Tasks file"] == "shop.py"
        and closed["User classes"] == "Shop"
        and closed["Processes"] == "1"
        and "Rate" not in closed
    )
    config = Config(rate=(10.0, 200.0), ramp=60.0, arrival="poisson", checks=("p99<1s", "fail_ratio<0.01"))
    open_ = dict(run_settings(config, "t.py", ["A", "B"]))
    assert open_["Rate"] == "10 to 200 iterations/s" and open_["Arrival"] == "poisson"
    assert open_["Ramp"] == "60 s" and open_["Max users"] == "1000" and "Users" not in open_
    assert open_["Checks"] == "p99<1s\nfail_ratio<0.01" and open_["Run time"] == "until stopped"
    shaped = dict(run_settings(Config(tags=("checkout",), exclude_tags=("slow",)), "t.py", [], shape="Waves"))
    assert (
        shaped["Load shape"] == "Waves" and shaped["Tags"] == "checkout" and shaped["Excluded tags"] == "slow"
    )
    assert shaped["User classes"] == "(none)"
    capacity = dict(run_settings(Config(find_capacity=True, slos=("p99<200ms",)), "t.py", ["A"]))
    assert capacity["SLOs"] == "p99<200ms" and capacity["Find capacity"].startswith("rates 10 to 100000")
    master = dict(run_settings(Config(master=True, expect_workers=3), "t.py", ["A"]))
    assert master["Workers expected"] == "3" and "Processes" not in master


def test_no_secret_reaches_the_settings() -> None:
    events = Events()

    @events.init_command_line_parser.add_listener
    def _(parser: OptionParser) -> None:
        parser.add_argument("--api-key", default="", is_secret=True)
        parser.add_argument("--region", default="eu")

    config = Config(
        web_auth_token="TOKEN-0123",
        curve_dir="/keys/curve-dir-9",
        otel=True,
        otel_endpoint="http://otel:PW-4567@127.0.0.1:4318",
        user_class_names=("--api-key", "KEY-89AB", "--region", "us"),
    )
    config = apply_custom_options(config, events)
    assert config.secret_options == ("api_key",) and config.api_key == "KEY-89AB"  # type: ignore[attr-defined]
    rows = run_settings(config, "t.py", ["A"])
    text = repr(rows)
    for secret in ("TOKEN-0123", "curve-dir-9", "PW-4567", "KEY-89AB", "api-key", "api_key"):
        assert secret not in text
    assert ("--region", "us") in rows


def test_a_report_path_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    tasks = TasksFile(tmp_path / "t.py", types.ModuleType("t"), (), None)
    check_before_start(Config(html_path=str(tmp_path / "r.html"), json_path=str(tmp_path / "r.json")), tasks)
    cases = [
        (
            Config(html_path=str(tmp_path / "no" / "r.html")),
            r"--html: cannot write .*r\.html: the folder .* does",
        ),
        (Config(json_path=str(tmp_path)), "--json: .* is a folder; give a file name"),
        (Config(csv_prefix=str(tmp_path / "no" / "run")), "--csv: cannot write .*run_stats.csv"),
    ]
    for config, message in cases:
        with pytest.raises(ConfigError, match=message) as caught:
            check_before_start(config, tasks)
        assert caught.value.exit_code == 2
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root may write anywhere
        with pytest.raises(ConfigError, match="is not writable"):
            check_before_start(Config(html_path=str(locked / "r.html")), tasks)
