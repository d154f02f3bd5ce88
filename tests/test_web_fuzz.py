"""Fuzzing a real master's status endpoint: no input may get a 5xx, and all JSON it sends is valid.

One master in web mode on 127.0.0.1 (a free port, 1 worker, the built-in target) takes:
schemathesis cases built from its own /openapi.json (valid and invalid, every operation),
then hypothesis-built raw requests (any method, path, Host, Origin, Content-Type, chunked
or not, JSON of any shape with extreme numbers, plain garbage), on real sockets. Every
answer must be below 500, and every JSON answer must parse strictly (no NaN/Infinity).
The schema-built ones must also match the document (status codes, content types, schemas).

The tasks file keeps the fuzzing harmless: its one class has ``fixed_count = 1`` (so a
fuzzed ``users: 10000000`` runs one user) and sends only to the built-in target, whatever
host a fuzzed body names; ``--max-users 2`` bounds the open model's pool. The number of
cases tried is printed (-s) and written to tests/artifacts/web-fuzz.json.
"""

from __future__ import annotations

import json
import socket
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (  # type: ignore[attr-defined]  # served by a module __getattr__
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from tests.conftest import ROOT, Target
from tests.web_support import Master, send, strict_json

SCHEMA_CASES = 200
RAW_CASES = 700
ARTIFACTS = ROOT / "tests" / "artifacts"
FUZZ_TASKS = """
import os
from fastswarm import HttpUser, constant, task

class Idle(HttpUser):
    fixed_count = 1  # however many users a fuzzed /swarm asks for, one runs
    wait_time = constant(0.5)

    @task
    def home(self):
        # A fuzzed body may name any host: only the built-in target is ever sent to.
        if self.client.base_url.rstrip("/") == os.environ["FUZZ_TARGET"]:
            self.client.get("/")
"""
tried: dict[str, int] = {"schema": 0, "raw": 0}
statuses: dict[int, int] = {}
_FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[Master]:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "fuzz_tasks.py").write_text(FUZZ_TASKS)
    args = ["-f", "fuzz_tasks.py", "-H", target.url, "-P", "0", "--processes", "1", "--max-users", "2"]
    m = Master(folder, *args, env={"FUZZ_TARGET": target.url})
    m.wait_for(lambda s: s["state"] == "ready", what="the worker")
    yield m
    m.interrupt()  # Ctrl-C: the master stops its workers before it exits


def _count(kind: str, status: int) -> None:
    tried[kind] += 1
    statuses[status] = statuses.get(status, 0) + 1


def test_schema_built_cases_get_no_5xx_and_match_the_document(master: Master) -> None:
    schema = schemathesis.openapi.from_url(master.url + "/openapi.json")
    cases = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]

    @given(case=cases)
    @settings(_FUZZ, max_examples=SCHEMA_CASES)
    def run(case: Any) -> None:
        response = case.call(base_url=master.url, timeout=30)
        _count("schema", response.status_code)
        assert response.status_code < 500, (case.method, case.path, case.body, response.text)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            strict_json(response.content)
        more = [response_schema_conformance] if response.status_code < 300 else []
        case.validate_response(response, checks=checks + more)

    run()
    assert tried["schema"] >= SCHEMA_CASES


# -- raw requests --

_PATHS = ["/", "/healthz", "/stats", "/stats/history", "/metrics", "/openapi.json", "/report.html",
          "/stats.csv", "/errors.csv", "/swarm", "/stop", "/reset", "/static/app.js", "/static/"]  # fmt: skip
_NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e308", "1e999", "-0", "0.0001", "1" * 400, "NaN", "Infinity", "0x10", "1_000", ""]),
    st.sampled_from([0, 1, 10_000_000, 10_000_001, 1e-320, 31622400, 31622401]),
)
_HOSTS = st.one_of(
    st.sampled_from(
        [
            "http://[::1",
            "http://127.0.0.1:1",
            "http://[::1]:1",
            "ftp://x",
            "http://x:99999",
            "http://a..b",
            "http://x/?q#f",
            "https://localhost:1/base/",
            "http://\u00e9.test:1",
        ]
    ),  # fmt: skip
    st.text(max_size=40),
)
_SWARM = st.fixed_dictionaries(
    {},
    optional={
        "users": _NUMBERS,
        "user_count": _NUMBERS,
        "locust_count": _NUMBERS,
        "spawn_rate": _NUMBERS,
        "hatch_rate": _NUMBERS,
        "rate": _NUMBERS,
        "run_time": st.one_of(_NUMBERS, st.sampled_from(["30s", "1h30m", "250ms", "1e999", "5d", "-1s"])),
        "host": _HOSTS,
    },
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _encode(value: Any) -> bytes:
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except ValueError:  # an infinite float from st.floats(): send it as the literal
        return json.dumps(value, allow_nan=True).encode()


_BODIES = st.one_of(
    _SWARM.map(_encode),
    _JSON.map(_encode),
    st.binary(max_size=300),
    st.integers(min_value=1, max_value=3000).map(lambda n: b'{"users":' + b"[" * n + b"]" * n + b"}"),
    st.sampled_from([b"", b"{}", b"{", b'{"users": NaN}', b'"\\ud800"', b"\xff\xfe{}", b"[]" * 2000]),
)
_TOKEN = st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=12)
_HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=60)


@st.composite
def raw_requests(draw: st.DrawFn, port: int) -> bytes:
    command = draw(st.booleans())  # half of them a POST of a body to /swarm, /stop or /reset
    any_method = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]) | _TOKEN
    method = "POST" if command else draw(any_method)
    any_path = (
        st.sampled_from(_PATHS)
        | st.builds(lambda p, t: p + t, st.sampled_from(["/", "/static/", "/stats/"]), _HEADER_VALUE)
        | st.builds(lambda b: "/" + "".join(f"%{x:02x}" for x in b), st.binary(max_size=12))
    )
    path = draw(st.sampled_from(["/swarm"] * 4 + ["/stop", "/reset"]) if command else any_path)
    if draw(st.booleans()):
        path += "?" + draw(
            st.sampled_from(["token=x", "token=", "a=%zz", "&&==", "token=%00"]) | _HEADER_VALUE
        )
    good_host = st.sampled_from([f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", None])
    bad_host = (
        st.sampled_from(["evil.example", "127.0.0.1.evil.example:1", "[::1", "a:b:c", ""]) | _HEADER_VALUE
    )
    host = draw(good_host if draw(st.integers(0, 9)) < 8 else bad_host)
    headers: dict[str, str | None] = {"Host": host}
    if draw(st.integers(0, 9)) < 8:
        json_types = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
        other = st.sampled_from(["text/plain", "application/x-www-form-urlencoded"]) | _HEADER_VALUE
        headers["Content-Type"] = draw(st.sampled_from(json_types) if draw(st.integers(0, 9)) < 8 else other)
    for name, values in (
        ("Origin", [f"http://127.0.0.1:{port}", "http://evil.example", "null", "http://[::1"]),
        ("Authorization", ["Bearer ", "Bearer x", "Basic Zm9vOmJhcg=="]),
        ("Cookie", ["fastswarm_token=x", '"', "a=b;;;==", "fastswarm_token=\x7f"]),
    ):
        if draw(st.integers(0, 5)) == 0:
            headers[name] = draw(st.sampled_from(values) | _HEADER_VALUE)
    body = draw(_BODIES) if method != "GET" or draw(st.integers(0, 5)) == 0 else b""
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items() if value is not None]
    lines.append("Connection: close")
    if body and draw(st.booleans()):
        lines.append("Transfer-Encoding: chunked")
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    elif body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` raw; (status, headers, body), status 0 when the server closed without a word."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return 0, {}, b""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def test_raw_garbage_gets_no_5xx_and_only_valid_json(master: Master) -> None:
    port = int(master.url.rsplit(":", 1)[1])

    @given(request=raw_requests(port))
    @settings(_FUZZ, max_examples=RAW_CASES)
    def run(request: bytes) -> None:
        status, headers, body = _exchange(port, request)
        _count("raw", status)
        assert status < 500, (request[:300], status, body[:300])
        if headers.get("content-type", "").startswith("application/json"):
            strict_json(body)

    run()
    assert tried["raw"] >= RAW_CASES


def test_the_master_survived_and_logged_no_error(master: Master) -> None:
    assert send(master.url, "GET", "/healthz")[0] == 200
    strict_json(send(master.url, "GET", "/stats")[2])
    assert send(master.url, "POST", "/stop", b"{}", {"Content-Type": "application/json"})[0] == 200
    stderr = master.stderr
    assert "Traceback" not in stderr and "status endpoint:" not in stderr, stderr[-3000:]
    total = tried["schema"] + tried["raw"]
    record = {"cases": total, **tried, "statuses": dict(sorted(statuses.items())), "at": time.time()}
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / "web-fuzz.json").write_text(json.dumps(record, indent=1) + "\n")
    kinds = f"{tried['schema']} from the schema, {tried['raw']} raw"
    print(f"\nweb fuzz: {total} cases ({kinds}), statuses {statuses}")
    assert total >= SCHEMA_CASES + RAW_CASES
