"""A real Prometheus (Debian's binary) scrapes a real run's /metrics; its query API returns the counter."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Target
from tests.web_support import Master

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as res:
        body = json.load(res)
    assert body["status"] == "success", body
    return list(body["data"]["result"])


@pytest.mark.timeout(120)
def test_prometheus_scrapes_the_request_counter(tmp_path: Path, target: Target) -> None:
    assert Path(PROMETHEUS).exists(), (
        "prometheus is missing: .ci/run installs it (apt-get install prometheus)"
    )
    master = Master(tmp_path, "-H", target.url, "-P", "0", "-u", "3", "-r", "30")
    scrape = master.url.removeprefix("http://")
    port = _free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: fastswarm\n    static_configs:\n"
        f"      - targets: ['{scrape}']\n"
    )
    log = (tmp_path / "prometheus.log").open("w")
    prom = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        master.wait_for(lambda s: s["state"] == "ready", what="workers")
        master.json("/swarm", "POST", {"users": 3, "spawn_rate": 30})
        master.wait_for(lambda s: s["totals"]["requests"] > 30, what="traffic")
        master.json("/stop", "POST")
        expected = master.json("/stats")["endpoints"]
        counts = {e["name"]: e["requests"] for e in expected}
        deadline, result = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                result = _query(base, 'fastswarm_requests_total{job="fastswarm"}')
            except OSError:
                result = []  # not listening yet
            got = {r["metric"]["name"]: int(float(r["value"][1])) for r in result}
            if got == counts:
                break
            time.sleep(0.5)
        print("prometheus returned:", json.dumps(result))
        assert {r["metric"]["name"]: int(float(r["value"][1])) for r in result} == counts
        assert all(r["metric"]["method"] == "GET" for r in result)
        quantile = _query(
            base, "histogram_quantile(0.5, sum by (le) (fastswarm_request_duration_seconds_bucket))"
        )
        assert quantile and 0 < float(quantile[0]["value"][1]) < 1.0
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=10)
        except subprocess.TimeoutExpired:
            prom.kill()
        log.close()
        master.kill()
