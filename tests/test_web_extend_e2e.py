"""environment.web_ui and --web-login end to end: Locust-style files from tests/compat/ run by
the real command line (a master and two workers), their routes asked over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Target, run_fastswarm
from tests.web_support import Master, send

COMPAT = ROOT / "tests" / "compat"
TOKEN = "compat-token-0123456789abcdef"


def _json(master: Master, path: str, token: str | None = TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, raw = master.request(path, headers=headers)
    return status, json.loads(raw)


@pytest.mark.timeout(120)
def test_locust_style_routes_on_the_master_and_none_on_the_workers(tmp_path: Path, target: Target) -> None:
    log = tmp_path / "compat.log"
    args = ("-H", target.url, "-P", "0", "--processes", "2", "--web-auth-token", TOKEN)
    run = ("--autostart", "-u", "2", "-r", "100", "-t", "60s")
    master = Master(
        tmp_path, *args, *run, env={"COMPAT_LOG": str(log)}, tasks=(COMPAT / "web_ui_routes.py").read_text()
    )
    try:
        status, headers, body = master.request("/added_page")  # no token: an unmarked route is public
        assert (status, body) == (200, b"Another page") and headers["Content-Type"].startswith("text/html")
        assert master.request("/secret")[0] == 401
        assert _json(master, "/secret") == (200, {"secret": 42})
        assert _json(master, "/echo/21?q=x", None) == (
            200,
            {"n": 21, "doubled": 42, "q": "x", "method": "GET"},
        )
        assert master.request("/echo/x")[0] == 404
        assert master.request("/stats")[0] == 401  # the built-in routes keep their token

        deadline, rows = time.monotonic() + 30, []
        while time.monotonic() < deadline:  # the workers' counts arrive with their reports
            rows = _json(master, "/content-length", None)[1]
            if rows and rows[0]["content_length"] >= 1000:
                break
            time.sleep(0.2)
        assert rows[0]["name"] == "hundred" and rows[0]["content_length"] % 100 == 0, rows

        status, headers, body = master.request("/boom")
        assert status == 500 and headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"error": "/boom: the view boom raised RuntimeError; see the master's log"}
        assert master.request("/added_page")[0] == 200  # and the server carries on
        assert "RuntimeError: the view broke" in master.stderr  # the traceback is the master's

        extensions = _json(master, "/extensions")[1]
        assert [t["title"] for t in extensions["tabs"]] == ["Content Length", "Added page"]
        assert {r["rule"] for r in extensions["routes"] if r["auth_required"]} == {"/secret"}
    finally:
        master.interrupt()
    lines = sorted(log.read_text().splitlines())
    assert lines == [
        "greenlet running=True",
        "init master web_ui=set",
        "init worker web_ui=None",
        "init worker web_ui=None",
    ]


def test_with_no_web_the_master_has_no_web_ui_either(tmp_path: Path, target: Target) -> None:
    log = tmp_path / "compat.log"
    path = str(COMPAT / "web_ui_routes.py")
    result = run_fastswarm(
        "-f",
        path,
        "-H",
        target.url,
        "--headless",
        "--no-web",
        "-u",
        "1",
        "-t",
        "1s",
        env={"COMPAT_LOG": str(log)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(log.read_text().splitlines()) == ["init master web_ui=None", "init worker web_ui=None"]


def test_a_route_over_a_builtin_one_ends_the_run_with_one_line(target: Target) -> None:
    path = str(COMPAT / "web_ui_clash.py")
    result = run_fastswarm(
        "-f", path, "-H", target.url, "--headless", "-P", "0", "-t", "5s", "--processes", "2"
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1] == (
        "fastswarm: error: web_ui: route '/stats' is one of fastswarm's own; choose another path"
    )
    assert "Traceback" not in result.stderr and "Aggregated" not in result.stdout  # no load was run


def test_web_login_flag_serves_the_form_and_needs_a_token(tmp_path: Path) -> None:
    result = run_fastswarm("-f", str(COMPAT / "web_ui_clash.py"), "--web-login", "--headless", "-t", "1s")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "fastswarm: error: --web-login: needs --web-auth-token (the login form asks for that token)"
    )
    master = Master(tmp_path, "-P", "0", "--web-auth-token", TOKEN, "--web-login")
    try:
        status, headers, _ = send(master.url, "GET", "/")
        assert status == 303 and headers["location"] == "/login"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, headers, _ = send(master.url, "POST", "/login", f"token={TOKEN}".encode(), form)
        assert status == 303 and headers["location"] == "/"
        cookie = headers["set-cookie"].split(";")[0]
        status, _, body = send(master.url, "GET", "/", headers={"Cookie": cookie})
        assert status == 200 and b"<title>fastswarm</title>" in body
        assert send(master.url, "GET", "/stats", headers={"Cookie": cookie})[0] == 200
    finally:
        master.interrupt()
