"""--otel end to end: real runs push to a real OTLP/HTTP receiver written here (127.0.0.1).

The receiver is an http.server on a free port that accepts POST /v1/metrics, decodes each
body with opentelemetry-proto's ExportMetricsServiceRequest and keeps it; the assertions
compare what arrived with the run's own JSON report.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from fastswarm.stats.otel_totals import DEFAULT_BOUNDS_MS
from fastswarm.stats.report_histograms import read_histograms
from tests.conftest import ROOT, Target, run_fastswarm

TASKS = """
from fastswarm import HttpUser, task, constant

class Mixed(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def home(self):
        self.client.get("/")

    @task(1)
    def broken(self):
        self.client.get("/status/500", name="/broken")

    @task(1)
    def post(self):
        self.client.post("/echo", json={"n": 1})
"""


class OtlpReceiver:
    """Accepts OTLP/HTTP protobuf metric pushes; anything else is a 404."""

    def __init__(self) -> None:
        self.requests: list[ExportMetricsServiceRequest] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = (
                    self.path == "/v1/metrics"
                    and self.headers.get("Content-Type") == "application/x-protobuf"
                )
                if ok:
                    with receiver.lock:
                        receiver.requests.append(ExportMetricsServiceRequest.FromString(body))
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def pushes(self) -> list[dict[str, Any]]:
        """Each push as {metric name: metric}, in arrival order; checks the resource on the way."""
        out = []
        with self.lock:
            requests = list(self.requests)
        for request in requests:
            (resource_metrics,) = request.resource_metrics
            resource = {kv.key: kv.value.string_value for kv in resource_metrics.resource.attributes}
            assert resource["service.name"] == "fastswarm"
            (scope_metrics,) = resource_metrics.scope_metrics
            assert scope_metrics.scope.name == "fastswarm"
            out.append({m.name: m for m in scope_metrics.metrics})
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    yield server
    server.close()


def _attrs(point: Any) -> dict[str, str]:
    return {kv.key: kv.value.string_value for kv in point.attributes}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _otel_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "--otel" in line]


def test_a_run_pushes_what_its_report_says(tmp_path: Path, target: Target, receiver: OtlpReceiver) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "4", "-r", "100", "-t", "3s", "--processes", "2",
        "--no-web", "--exit-code-on-error", "0", "--json", "r.json",
        "--otel", "--otel-endpoint", receiver.url,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _otel_warnings(result.stderr) == []
    report = json.loads((tmp_path / "r.json").read_text())
    pushes = receiver.pushes()
    assert report["otel"] == {"endpoint": receiver.url + "/v1/metrics", "pushes": len(pushes), "failed": 0}
    assert len(pushes) >= 3  # one a report interval over 3 s, and the final one
    names = {
        "fastswarm.request.duration",
        "fastswarm.requests",
        "fastswarm.request.failures",
        "fastswarm.users",
    }
    assert all(set(push) == names for push in pushes)  # a closed run has no target rate

    last = pushes[-1]
    expected = {(e["method"], e["name"]): e for e in report["endpoints"]}
    assert set(expected) == {("GET", "/"), ("GET", "/broken"), ("POST", "/echo")}
    histograms = read_histograms(report)
    bounds_us = [int(b * 1000) for b in DEFAULT_BOUNDS_MS]

    durations = last["fastswarm.request.duration"]
    assert durations.unit == "ms" and durations.histogram.aggregation_temporality == 2
    for point in durations.histogram.data_points:
        attrs = _attrs(point)
        assert set(attrs) == {"http.request.method", "fastswarm.name"}
        key = (attrs["http.request.method"], attrs["fastswarm.name"])
        assert point.count == expected[key]["requests"] == sum(point.bucket_counts)
        running = [sum(point.bucket_counts[: i + 1]) for i in range(len(bounds_us))]
        assert running == histograms[tuple(key)].count_at_or_below(bounds_us)  # type: ignore[index]
        assert point.sum / point.count == pytest.approx(expected[key]["latency_ms"]["mean"], abs=0.001)
    assert len(durations.histogram.data_points) == 3

    counted: dict[tuple[str, str], dict[str, int]] = {}
    for point in last["fastswarm.requests"].sum.data_points:
        attrs = _attrs(point)
        key = (attrs["http.request.method"], attrs["fastswarm.name"])
        counted.setdefault(key, {})[attrs["fastswarm.outcome"]] = point.as_int
    for key, e in expected.items():
        assert counted[key] == {"ok": e["requests"] - e["failures"], "failure": e["failures"]}
    assert counted[("GET", "/broken")]["ok"] == 0 and counted[("GET", "/broken")]["failure"] > 0
    failures = {
        _attrs(p)["fastswarm.name"]: (p.as_int, _attrs(p)["fastswarm.outcome"])
        for p in last["fastswarm.request.failures"].sum.data_points
    }
    assert failures == {e["name"]: (e["failures"], "failure") for e in expected.values()}

    # Cumulative: one start time, and no count ever goes down from one push to the next.
    totals = [sum(p.as_int for p in push["fastswarm.requests"].sum.data_points) for push in pushes]
    assert totals == sorted(totals) and totals[-1] == report["totals"]["requests"]
    starts = {p.start_time_unix_nano for push in pushes for p in push["fastswarm.requests"].sum.data_points}
    assert len(starts) == 1
    users = [push["fastswarm.users"].gauge.data_points[0].as_int for push in pushes]
    assert max(users) == 4 and users.count(4) >= 1


def test_the_open_model_pushes_its_target_rate(
    tmp_path: Path, target: Target, receiver: OtlpReceiver
) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", target.url, "--headless", "--rate", "30", "-t", "2s", "--no-web", "--exit-code-on-error", "0",
        "--otel", "--otel-endpoint", receiver.url,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rates = [
        push["fastswarm.target_rate"].gauge.data_points[0].as_double
        for push in receiver.pushes()
        if "fastswarm.target_rate" in push
    ]
    assert rates and max(rates) == 30.0


def test_a_receiver_that_is_down_costs_one_warning_line(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    port = _closed_port()
    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "2", "-t", "3s", "--no-web", "--exit-code-on-error", "0",
        "--json", "r.json", "--otel", "--otel-endpoint", f"http://127.0.0.1:{port}",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (line,) = _otel_warnings(result.stderr)
    assert line.startswith("fastswarm: warning: --otel: a push to http://127.0.0.1:")
    assert "Connection refused" in line and "Traceback" not in result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["otel"]["pushes"] == 0 and report["otel"]["failed"] >= 2
    assert report["totals"]["requests"] > 0  # the load itself went on


def test_otel_without_the_packages_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    shim = tmp_path / "shim" / "opentelemetry"
    shim.mkdir(parents=True)
    # A regular package named opentelemetry, first on the path, hides the installed namespace one.
    (shim / "__init__.py").write_text("")
    result = run_fastswarm(
        "-H", "http://127.0.0.1:9", "--headless", "-t", "1s", "--otel",
        cwd=tmp_path, env={"PYTHONPATH": f"{shim.parent}:{ROOT}"},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "fastswarm: error: --otel: needs the OpenTelemetry packages "
        "(opentelemetry.exporter is missing): pip install 'fastswarm[otel]'"
    ]


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"FASTSWARM_OTEL_ENDPOINT": "collector:4318"}, "--otel-endpoint (from FASTSWARM_OTEL_ENDPOINT)"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "--otel: OTEL_EXPORTER_OTLP_ENDPOINT"),
    ],
)
def test_a_bad_endpoint_names_its_source(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm(
        "-H", "http://127.0.0.1:9", "--headless", "-t", "1s", "--otel", cwd=tmp_path, env=env
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "'collector:4318'" in lines[0], lines


COOPERATES = """
import sys, time
from fastswarm.engine.gevent_patch import patch_gevent
patch_gevent()
import gevent
from fastswarm.stats.otel import OtlpPush
from fastswarm.stats.prometheus import RunGauges
from fastswarm.stats.otel import build_metrics_data

push = OtlpPush(sys.argv[1], "0")
push.open()
data = build_metrics_data([], RunGauges("running", 1, 1, 1), (1.0,), 1, 2, push.resource, push.scope)
ticks = []
def tick():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.01)
ticker = gevent.spawn(tick)
gevent.sleep(0.05)
started = time.monotonic()
ok = push.push(data)
took = time.monotonic() - started
during = sum(1 for t in ticks if started < t < started + took)
print(ok, round(took, 2), during)
"""


def test_a_push_waiting_on_the_collector_blocks_no_other_greenlet(tmp_path: Path) -> None:
    """The exporter's requests run on gevent's sockets: a slow collector parks only the pusher."""
    gate = threading.Event()
    received: list[bytes] = []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            gate.wait(0.6)  # answer after 0.6 s
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/metrics"
        (tmp_path / "coop.py").write_text(COOPERATES)
        out = subprocess.run(
            [sys.executable, str(tmp_path / "coop.py"), url],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, out.stderr
    ok, took, during = out.stdout.split()
    assert ok == "True" and len(received) == 1
    assert float(took) >= 0.5
    # A 10 ms ticker kept running while the push waited (a blocked loop would give 0 or 1 ticks).
    assert int(during) >= 10
