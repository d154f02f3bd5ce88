"""How the master serves: token auth, --headless with the endpoint, --autostart/--autoquit, --no-web."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

from tests.conftest import Target, run_fastswarm
from tests.web_support import TASKS, Master


def test_token_guards_every_route_but_healthz(tmp_path: Path, target: Target) -> None:
    # Set through the environment: click's FASTSWARM_ prefix covers --web-auth-token.
    master = Master(tmp_path, "-H", target.url, "-P", "0", env={"FASTSWARM_WEB_AUTH_TOKEN": "s3cret"})
    try:
        assert master.request("/healthz")[0] == 200
        for path in ("/", "/stats", "/metrics", "/openapi.json", "/static/app.js", "/report.html"):
            status, headers, _ = master.request(path)
            assert status == 401 and headers["WWW-Authenticate"] == "Bearer", path
        assert master.request("/stats", headers={"Authorization": "Bearer wrong"})[0] == 401
        status, _, body = master.request("/swarm", "POST", {"users": 1})
        assert status == 401 and "token" in json.loads(body)["error"]
        master.token = "s3cret"
        assert master.request("/stats")[0] == 200
        assert master.json("/reset", "POST")["success"] is True
        # A browser trades ?token= for an HTTP-only cookie, then the page and API work with it.
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(master.url + "/?token=s3cret", timeout=10)
            raise AssertionError("expected a redirect")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303 and exc.headers["Location"] == "/"
            cookie = exc.headers["Set-Cookie"].split(";")[0]
            assert "HttpOnly" in exc.headers["Set-Cookie"]
        master.token = None
        assert master.request("/stats", headers={"Cookie": cookie})[0] == 200
        assert master.request("/?token=nope")[0] == 401
    finally:
        master.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_headless_serves_warns_when_exposed_and_logs_every_interval(tmp_path: Path, target: Target) -> None:
    # 0.0.0.0 without a token: loud warning. Traffic stays on 127.0.0.1.
    master = Master(
        tmp_path,
        *(
            "-H",
            target.url,
            "--headless",
            "-u",
            "3",
            "-r",
            "30",
            "-t",
            "3s",
            "-P",
            "0",
            "--web-host",
            "0.0.0.0",
        ),
        *("--processes", "2", "--hdr-log", "run.hlog", "--json", "run.json"),
    )
    try:
        master.url = master.url.replace("0.0.0.0", "127.0.0.1")
        assert "WARNING" in master.stderr and "WITHOUT authentication" in master.stderr
        master.wait_for(lambda s: s["totals"]["requests"] > 0, what="headless traffic")
        assert master.process.wait(timeout=30) == 1  # the tasks' 404s are failures
    finally:
        master.kill()
    report = json.loads((tmp_path / "run.json").read_text())
    reader = HistogramLogReader(str(tmp_path / "run.hlog"), HdrHistogram(1, 3_600_000_000, 3))
    logged = 0
    while (interval := reader.get_next_interval_histogram()) is not None:
        logged += interval.get_total_count()
    assert logged == report["totals"]["requests"] > 0


def test_autostart_and_autoquit_end_the_master_by_themselves(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        *("-H", target.url, "--autostart", "-t", "1s", "--autoquit", "1", "-P", "0", "-u", "2", "-r", "20"),
        *("--html", "r.html", "--exit-code-on-error", "0"),
        cwd=tmp_path,
        timeout=40,
    )
    assert result.returncode == 0, result.stderr
    assert "--autoquit" in result.stderr
    assert "<svg" in (tmp_path / "r.html").read_text()


def test_no_web_needs_headless_or_autostart(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm("-H", "http://127.0.0.1:9", "--no-web", cwd=tmp_path, timeout=40)
    assert result.returncode == 2
    assert "fastswarm: error: --no-web" in result.stderr and "Traceback" not in result.stderr
