"""Hostile targets: each misbehaviour is one grouped failure with a clear message, for both clients.

Every case is a real run through the command line (master, one forked worker) for 2 s against
``hostile_server.py`` on 127.0.0.1 (or a refused port, or a name under .invalid looked up in a
DNS server on 127.0.0.1 that knows no name), with a 1 s
deadline per request and a stop timeout long enough for the last requests to end by
themselves. For each: the run ends on time, no worker is lost, every failure is in one error
group whose text names the cause, and the report holds exactly the requests the server saw.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_fastswarm
from tests.hostile_server import BIG, UNKNOWN_HOST, HostileServer, NxDomainDNS, refused_url, self_signed

RUN_S = 2.0
TASKS = """
from fastswarm import {client}, task, constant

class Hostile({client}):
    host = {url!r}
    network_timeout = {deadline}
    connection_timeout = {deadline}
    wait_time = constant(0.2)

    @task
    def hit(self):
        self.client.get("/hostile")
"""

INVALID = r"InvalidResponse: invalid HTTP response from 127\.0\.0\.1:PORT: "
# case -> the error text (a regular expression; PORT is the server's port); urllib3 and
# llhttp word a broken status line differently, each the same every time.
CASES: dict[str, str | None] = {
    "refused": r"ConnectionRefusedError: \[Errno 111\] connection to 127\.0\.0\.1:PORT refused",
    "reset": r"ConnectionResetError: \[Errno 104\] Connection reset by peer",
    "never": r"ReadTimeout: no complete response within 1\.0 s",
    "malformed": INVALID + r"(bad status line|Invalid status code)",
    "trickle": r"ReadTimeout: no complete response within 1\.0 s",
    "big": None,  # a valid 100 MB response: no failure, every byte counted, nothing held
    "garbage": INVALID + r"(bad status line|Expected HTTP/, RTSP/ or ICE/)",
    "tls": r"SSLCertVerificationError: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: "
    r"self.signed certificate \(_ssl\.c:\d+\)",
    "unknown": r"HostNotFound: could not resolve host 'nowhere\.invalid': .+",
}


def _run(
    tmp_path: Path, client: str, url: str, deadline: float, env: dict[str, str]
) -> tuple[Any, dict[str, Any], float]:
    (tmp_path / "tasks.py").write_text(TASKS.format(client=client, url=url, deadline=deadline))
    started = time.monotonic()
    result = run_fastswarm(
        *("--headless", "--no-web", "-u", "2", "-r", "100", "-t", f"{RUN_S}s"),
        *("--stop-timeout", "20", "--processes", "1", "--json", "r.json"),
        cwd=tmp_path,
        timeout=120,
        env=env,
    )
    elapsed = time.monotonic() - started
    return result, json.loads((tmp_path / "r.json").read_text()), elapsed


@pytest.mark.parametrize("client", ["HttpUser", "FastHttpUser"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_target_is_one_clear_failure_group(tmp_path: Path, client: str, case: str) -> None:
    server: HostileServer | None = None
    dns = NxDomainDNS()
    if case == "refused":
        url = refused_url()
    elif case == "unknown":
        url = UNKNOWN_HOST
    else:
        server = HostileServer(case, self_signed(tmp_path) if case == "tls" else None)
        url = server.url
    try:
        result, report, elapsed = _run(tmp_path, client, url, 30.0 if case == "big" else 1.0, dns.env())
        seen = server.seen() if server is not None else None
    finally:
        dns.close()
        if server is not None:
            server.close()
    assert dns.queries > 0 if case == "unknown" else dns.queries == 0  # the lookup stayed on loopback

    totals, errors = report["totals"], report["errors"]
    # The run ends on time: -t, plus at most one deadline for the last requests.
    assert report["run"]["duration_s"] < RUN_S + (15 if case == "big" else 2.5), report["run"]
    assert elapsed < 60
    # No worker died and nothing crashed.
    assert report["workers_lost"] == [] and "lost" not in result.stderr
    assert "Traceback" not in result.stderr and not report["user_errors"]
    assert totals["requests"] > 0
    # What the server saw is what the report holds.
    if seen is not None:
        connections, requests = seen
        assert totals["requests"] == (connections if case == "tls" else requests), (seen, totals)
    expected = CASES[case]
    if expected is None:
        assert result.returncode == 0, result.stderr
        assert totals["failures"] == 0 and totals["bytes_avg"] == BIG
        return
    assert result.returncode == 1, result.stderr
    assert totals["failures"] == totals["requests"]
    assert len(errors) == 1, errors  # one group, however many failures and whatever bytes came
    (group,) = errors
    assert group["name"] == "/hostile" and group["count"] == totals["requests"]
    port = url.rsplit(":", 1)[-1]
    assert re.fullmatch(expected.replace("PORT", port), group["error"]), group["error"]
