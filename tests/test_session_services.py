"""The master's ``SessionServices`` on their own: each fails before the test, and close undoes them."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.master.services import SessionServices
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.report import RunInfo
from fastswarm.web.control import SessionControl


class _NoControl:
    """The web app is only built here, never asked: any SessionControl will do."""

    aggregator = Aggregator()

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the app asked for {name} while starting")


def _busy_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock, sock.getsockname()[1]


def test_nothing_is_started_unless_asked_for(tmp_path: Path) -> None:
    services = SessionServices(Config(no_web=True, headless=True))
    services.start_web(_NoControl())  # type: ignore[arg-type]
    services.open_hdr_log(Aggregator())
    services.prepare_otel(lambda: RunGauges("ready", 0, 0, 0))
    services.write_reports(Aggregator(), RunInfo(0.0, 0.0, "", 0, 0), {})
    assert (services.web, services.log_ring, services.hdr_log, services.otel) == (None, None, None, None)
    assert list(tmp_path.iterdir()) == []
    services.close()


def test_a_bad_hdr_log_path_fails_before_the_test(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "run.hlog"
    services = SessionServices(Config(hdr_log_path=str(path)))
    with pytest.raises(ConfigError, match=r"--hdr-log: cannot write .*run\.hlog"):
        services.open_hdr_log(Aggregator())
    assert services.hdr_log is None


def test_the_hdr_log_listens_to_the_aggregator_and_close_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "run.hlog"
    aggregator = Aggregator()
    services = SessionServices(Config(hdr_log_path=str(path)))
    services.open_hdr_log(aggregator)
    assert services.hdr_log is not None and len(aggregator.counts_listeners) == 1
    services.close()
    services.close()  # twice: nothing left to undo
    assert services.hdr_log is None
    assert path.read_text().startswith("#")


def test_each_report_asked_for_is_written_with_the_extra_keys(tmp_path: Path) -> None:
    config = Config(
        html_path=str(tmp_path / "r.html"), json_path=str(tmp_path / "r.json"), csv_prefix=str(tmp_path / "r")
    )
    SessionServices(config).write_reports(Aggregator(), RunInfo(0.0, 1.0, "h", 1, 1), {"checks": []})
    assert "<html" in (tmp_path / "r.html").read_text().lower()
    assert json.loads((tmp_path / "r.json").read_text())["checks"] == []
    csv_files = sorted(p.name for p in tmp_path.glob("r_*.csv"))
    assert csv_files == ["r_failures.csv", "r_stats.csv", "r_stats_history.csv"]


def test_a_busy_port_is_a_warning_in_a_headless_run_and_an_error_otherwise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sock, port = _busy_port()
    try:
        control: SessionControl = _NoControl()  # type: ignore[assignment]
        headless = SessionServices(Config(headless=True, web_port=port))
        headless.start_web(control)
        assert headless.web is None
        assert "warning: status endpoint not served" in capsys.readouterr().err
        headless.close()

        web_mode = SessionServices(Config(web_port=port))
        with pytest.raises(ConfigError):
            web_mode.start_web(control)
        web_mode.close()
    finally:
        sock.close()


def test_the_endpoint_serves_until_close() -> None:
    services = SessionServices(Config(web_port=0))
    services.start_web(_NoControl())  # type: ignore[arg-type]
    web = services.web
    assert web is not None and services.log_ring is not None
    socket.create_connection(("127.0.0.1", web.port), timeout=2.0).close()
    services.close()
    assert services.web is None and services.log_ring is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", web.port), timeout=2.0)
