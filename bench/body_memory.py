"""Peak memory of a worker whose users download a large body: the cost of holding bodies whole.

    python bench/body_memory.py [--client fast|http] [--mode plain|stream] [--users 4]
        [--size 100000000] [--duration 5] [--code DIR]

Serves one body of ``--size`` bytes (Content-Length, sent from a 1 MiB buffer) from a thread
of this process on 127.0.0.1, runs ``fastswarm`` (one worker, ``--users`` users, no wait)
against it for ``--duration`` seconds, and prints the worker's peak resident set (VmHWM, read
by a test_stop listener in the worker), the requests made and the bytes the report counted.
``--mode stream`` passes ``stream=True`` and reads the body with ``iter_content``. ``--code``
runs another checkout's fastswarm (e.g. an export of main) for a before/after comparison.
Goal (issue 11): 4 users on a 100 MB body stay under 100 MB per worker.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PIECE = b"x" * (1 << 20)

TASKS = """
import json
from fastswarm import {cls}, task, constant, events

@events.test_stop.add_listener
def peak(environment, **kw):
    if environment.role == "worker":
        with open("/proc/self/status") as status:
            hwm = next(line for line in status if line.startswith("VmHWM")).split()[1]
        with open({out!r}, "w") as f:
            json.dump({{"hwm_kb": int(hwm)}}, f)

class Download({cls}):
    host = {url!r}
    wait_time = constant(0)

    @task
    def body(self):
        {call}
"""
PLAIN = 'self.client.get("/big")'
STREAM = """for _ in self.client.get("/big", stream=True).iter_content(65536):
            pass"""


def serve(size: int) -> int:
    """Serve ``size``-byte bodies to every request on a free port; returns the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def one(conn: socket.socket) -> None:
        with conn:
            try:
                while conn.recv(65536):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                    left = size
                    while left:
                        n = min(left, len(_PIECE))
                        conn.sendall(_PIECE[:n] if n < len(_PIECE) else _PIECE)
                        left -= n
            except OSError:
                return

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--client", choices=("fast", "http"), default="fast")
    p.add_argument("--mode", choices=("plain", "stream"), default="plain")
    p.add_argument("--users", type=int, default=4)
    p.add_argument("--size", type=int, default=100_000_000)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--code", default=str(ROOT), help="the checkout whose fastswarm runs")
    a = p.parse_args()
    port = serve(a.size)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "worker.json"
        cls = "FastHttpUser" if a.client == "fast" else "HttpUser"
        call = STREAM if a.mode == "stream" else PLAIN
        (Path(tmp) / "tasks.py").write_text(
            TASKS.format(cls=cls, url=f"http://127.0.0.1:{port}", out=str(out), call=call)
        )
        result = subprocess.run(
            [sys.executable, "-m", "fastswarm", "-f", "tasks.py", "--headless", "--no-web"]
            + ["-u", str(a.users), "-r", "100", "-t", f"{a.duration}s", "--stop-timeout", "60"]
            + ["--processes", "1", "--json", "r.json"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=a.duration + 120,
            env={**os.environ, "PYTHONPATH": a.code},
        )
        if not out.exists():
            raise SystemExit(f"the worker wrote nothing (exit {result.returncode}):\n{result.stderr[-2000:]}")
        hwm = json.loads(out.read_text())["hwm_kb"]
        totals = json.loads((Path(tmp) / "r.json").read_text())["totals"]
    print(
        f"{a.client} {a.mode}: {a.users} users, {a.size:,} B body: worker peak RSS {hwm / 1024:.0f} MiB; "
        f"{totals['requests']} requests, {totals['failures']} failed, {totals['bytes_avg']:,.0f} B each "
        f"(exit {result.returncode})"
    )


if __name__ == "__main__":
    main()
