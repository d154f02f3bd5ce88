"""Reported latency vs a known delay: /delay/10 p50 against 10 ms + the empty-request p50.

Run: ``.venv/bin/python bench/accuracy/delay.py [--rate 200] [--seconds 15]``. Goal: within 1 %.
The target sleeps with a gevent timer, which itself overshoots by up to ~1 ms; with wrk2 at
/tmp/wrk2/wrk (see stall.py) its p50s at the same rate are printed as a reference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fastswarm_open, target  # noqa: E402

WRK2 = os.environ.get("WRK2", "/tmp/wrk2/wrk")


def wrk2_p50(url: str, rate: float, seconds: float) -> float:
    """wrk2's p50 (ms) at the same rate: a reference for how long the target really took."""
    out = subprocess.run(
        [WRK2, "-t1", "-c20", f"-d{int(seconds)}s", f"-R{int(rate)}", "--latency", url],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    m = re.search(r"^\s*50\.000%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not m:
        raise RuntimeError(f"no p50 in wrk2 output:\n{out}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--delay-ms", type=int, default=10)
    args = ap.parse_args()
    with target() as url:
        base = fastswarm_open(url, "/", args.rate, args.seconds, 1)["totals"]["latency_ms"]
        path = f"/delay/{args.delay_ms}"
        urllib.request.urlopen(urllib.request.Request(url + "/__reset", data=b"", method="POST")).close()
        slow = fastswarm_open(url, path, args.rate, args.seconds, 1)["totals"]["latency_ms"]
        with urllib.request.urlopen(url + "/__stats") as answer:
            slept_p50 = float(json.load(answer)["delay_actual_p50_ms"])
        ref = None
        if os.path.exists(WRK2):
            ref = (
                wrk2_p50(url + "/", args.rate, args.seconds),
                wrk2_p50(url + path, args.rate, args.seconds),
            )
    expected = args.delay_ms + base["p50"]
    err = 100 * (slow["p50"] - expected) / expected
    print(f"empty request p50 {base['p50']:.3f} ms; /delay/{args.delay_ms} p50 {slow['p50']:.3f} ms")
    print(f"vs nominal: expected {expected:.3f} ms ({args.delay_ms} + baseline); error {err:+.2f} %")
    actual = slept_p50 + base["p50"]
    aerr = 100 * (slow["p50"] - actual) / actual
    print(
        f"vs the target's own clock: it slept p50 {slept_p50:.3f} ms; expected {actual:.3f} ms "
        f"(slept + baseline); error {aerr:+.2f} % (goal within 1 %)"
    )
    if ref is not None:
        werr = 100 * (ref[1] - (args.delay_ms + ref[0])) / (args.delay_ms + ref[0])
        print(
            f"wrk2 at the same rate: empty p50 {ref[0]:.3f} ms, {path} p50 {ref[1]:.3f} ms ({werr:+.2f} % vs"
        )
        print(
            f"  {args.delay_ms} + its baseline: the target's own overshoot); fastswarm vs wrk2 on {path}:"
        )
        print(f"  {100 * (slow['p50'] - ref[1]) / ref[1]:+.2f} %")


if __name__ == "__main__":
    main()
