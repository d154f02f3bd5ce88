"""Every route of the status endpoint, against a real master, real workers and a real target."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Target
from tests.web_support import Master


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[Master]:
    folder = tmp_path_factory.mktemp("web")
    args = ["-H", target.url, "-P", "0", "--processes", "2", "-u", "3", "-r", "20"]
    args += ["--json", "final.json", "--html", "final.html", "--hdr-log", "final.hlog", "--csv", "final"]
    m = Master(folder, *args)
    yield m
    m.kill()


def test_waits_for_the_ui_and_gets_change_nothing(master: Master) -> None:
    assert master.json("/healthz") == {"status": "ok"}
    # The endpoint is up before the workers have connected ("waiting"), then "ready".
    snap = master.wait_for(lambda s: s["state"] == "ready", what="workers")
    assert snap["users"] == 0
    assert [w["index"] for w in snap["workers"]] == [0, 1]
    assert {"id", "host", "pid", "state", "users", "cpu_percent", "heartbeat_age_s"} <= set(
        snap["workers"][0]
    )
    for path in ("/swarm", "/stop", "/reset"):
        status, headers, body = master.request(path)
        assert status == 405 and headers["Allow"] == "POST", body
        assert "error" in json.loads(body)
    for path in ("/stats", "/healthz", "/metrics"):
        status, _, _ = master.request(path, "POST", {})
        assert status == 405
    status, _, body = master.request("/no/such/route")
    assert status == 404 and "no such route" in json.loads(body)["error"]
    assert master.json("/stats")["state"] == "ready"


def test_openapi_describes_every_route_and_the_snapshot(master: Master) -> None:
    doc = master.json("/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/", "/healthz", "/stats", "/stats/history", "/metrics", "/openapi.json",
        "/report.html", "/stats.csv", "/errors.csv", "/swarm", "/stop", "/reset",
        "/stats/distribution", "/logs", "/report.json", "/extensions",
    }  # fmt: skip
    documented = set(doc["components"]["schemas"]["Snapshot"]["properties"])
    assert documented == set(master.json("/stats"))


def test_bad_posts_get_415_or_400_naming_the_field(master: Master) -> None:
    status, _, body = master.request("/swarm", "POST", b"users=5", "application/x-www-form-urlencoded")
    assert status == 415 and "application/json" in json.loads(body)["error"]
    status, _, _ = master.request("/stop", "POST", b"{}", "text/plain")
    assert status == 415
    status, _, _ = master.request("/reset", "POST", None, None)
    assert status == 415
    cases = {
        "users": {"users": -1},
        "spawn_rate": {"users": 1, "spawn_rate": 0},
        "host": {"users": 1, "host": "ftp://x"},
        "run_time": {"users": 1, "run_time": "soon"},
        "rate": {"rate": "fast"},
        "colour": {"colour": "red"},
    }
    for field, body_ in cases.items():
        status, _, raw = master.request("/swarm", "POST", body_)
        error = json.loads(raw)
        assert status == 400 and error["field"] == field and error["error"].startswith(field), raw
    status, _, raw = master.request("/swarm", "POST", b"{not json")
    assert status == 400 and json.loads(raw)["field"] == "body"
    assert master.json("/stats")["state"] == "ready"


def test_start_stop_reset_cycles_and_every_read_route(master: Master, target: Target) -> None:
    for cycle in range(2):
        # the seed's names are accepted too
        body = {"locust_count": 4, "hatch_rate": 50} if cycle else {"users": 4, "spawn_rate": 50}
        assert master.json("/swarm", "POST", body)["success"] is True
        snap = master.wait_for(lambda s: s["totals"]["requests"] > 40 and s["users"] == 4, what="traffic")
        assert snap["state"] in ("spawning", "running") and snap["target_users"] == 4
        assert {e["name"] for e in snap["endpoints"]} == {"/", "/status/{code}"}
        row = snap["endpoints"][0]
        assert {"latency_ms", "rps", "bytes_avg", "current_rps", "current_p50", "current_p99"} <= set(row)
        assert snap["errors"] and snap["errors"][0]["name"] == "/status/{code}"
        assert master.json("/stop", "POST")["state"] == "stopped"
        assert master.json("/stats")["users"] == 0

    history = master.json("/stats/history")
    assert history["limit"] > 0 and history["points"]
    assert {"t", "rps", "failures_per_s", "users", "p50", "p95", "p99"} == set(history["points"][-1])

    status, headers, raw = master.request("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(raw.decode())}
    assert all(f.type != "unknown" for f in families.values()), [f.name for f in families.values()]
    lines = [line for line in raw.decode().splitlines() if line and not line.startswith("#")]
    assert len(lines) == sum(len(f.samples) for f in families.values())  # every line parsed
    requests = {s.labels["name"]: s.value for s in families["fastswarm_requests"].samples}
    total = master.json("/stats")["totals"]["requests"]
    assert sum(requests.values()) == total
    buckets = [
        s for s in families["fastswarm_request_duration_seconds"].samples if s.name.endswith("_bucket")
    ]
    inf = [s.value for s in buckets if s.labels["le"] == "+Inf" and s.labels["name"] == "/"]
    assert inf == [requests["/"]]
    assert families["fastswarm_workers"].samples[0].value == 2

    status, headers, raw = master.request("/report.html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<svg" in raw and b"<polyline" in raw and b"/status/{code}" in raw
    rows = list(csv.reader(io.StringIO(master.request("/stats.csv")[2].decode())))
    assert rows[0][:4] == ["Type", "Name", "Request Count", "Failure Count"] and rows[-1][1] == "Aggregated"
    assert int(rows[-1][2]) == total
    errors = list(csv.reader(io.StringIO(master.request("/errors.csv")[2].decode())))
    assert errors[0] == ["Method", "Name", "Error", "Occurrences"] and errors[1][1] == "/status/{code}"
    status, headers, raw = master.request("/")
    assert status == 200 and b'id="stats-table"' in raw
    assert master.request("/static/app.js")[0] == 200
    assert master.request("/static/../app.py")[0] == 404

    assert master.json("/reset", "POST")["success"] is True
    assert master.json("/stats")["totals"]["requests"] == 0


def test_swarm_rate_starts_the_open_model(master: Master) -> None:
    master.json("/swarm", "POST", {"rate": 40})
    snap = master.wait_for(lambda s: s["totals"]["requests"] > 10, what="open-model traffic")
    assert snap["target_rate"] == 40.0
    master.json("/stop", "POST")


def test_ctrl_c_quits_with_the_final_reports(master: Master) -> None:
    # One more short test so the final reports have something in them.
    master.json("/swarm", "POST", {"users": 2, "spawn_rate": 50, "run_time": "1s"})
    master.wait_for(lambda s: s["state"] == "stopped" and s["totals"]["requests"] > 0, what="run_time stop")
    assert master.interrupt() == 1  # the target's 404s are failures: --exit-code-on-error
    folder = master.folder
    report = json.loads((folder / "final.json").read_text())
    assert report["totals"]["requests"] > 0
    html = (folder / "final.html").read_text()
    assert html.count("<svg") == 4 and "Aggregated" in html  # 3 per-second charts, the percentile curve
    assert (folder / "final_stats.csv").is_file() and (folder / "final_failures.csv").is_file()
    assert "Response times" in master.stdout or "Aggregated" in master.stdout
