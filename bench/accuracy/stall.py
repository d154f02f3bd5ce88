"""Coordinated omission: corrected and uncorrected p99 against a target that stalls, vs wrk2.

The built-in target stops answering for 1 s every 5 s. At a fixed rate, fastswarm's corrected
p99 should match wrk2 -R's (goal: within 10 %); its plain (service-time) p99 shows what
a closed-loop tool would have reported.

wrk2 is not part of fastswarm: build it outside the repository (``/tmp/wrk2/wrk``, from
github.com/giltene/wrk2, ``make``); without it only fastswarm's figures are printed.
Run: ``.venv/bin/python bench/accuracy/stall.py [--rate 200] [--seconds 30]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fastswarm_open, target  # noqa: E402

WRK2 = os.environ.get("WRK2", "/tmp/wrk2/wrk")
STALL = ("--stall-every", "5", "--stall-for", "1")


def wrk2_p99(url: str, rate: float, seconds: float, connections: int) -> tuple[float, str]:
    out = subprocess.run(
        [WRK2, "-t1", f"-c{connections}", f"-d{int(seconds)}s", f"-R{int(rate)}", "--latency", url + "/"],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    m = re.search(r"^\s*99\.000%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not m:
        raise RuntimeError(f"no p99 in wrk2 output:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return float(m.group(1)) * scale, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--connections", type=int, default=250, help="wrk2 connections (enough for a 1 s stall)")
    args = ap.parse_args()
    with target(*STALL) as url:
        rep = fastswarm_open(url, "/", args.rate, args.seconds, 2)
    lat, cor = rep["totals"]["latency_ms"], rep["totals"]["corrected_latency_ms"]
    print(
        f"fastswarm --rate {args.rate:.0f} for {args.seconds:.0f} s against a target stalling 1 s every 5 s:"
    )
    print(
        f"  uncorrected (service) p50 {lat['p50']:.3f} ms  p99 {lat['p99']:.3f} ms  max {lat['max']:.3f} ms"
    )
    print(
        f"  corrected             p50 {cor['p50']:.3f} ms  p99 {cor['p99']:.3f} ms  max {cor['max']:.3f} ms"
    )
    # Arrivals are uniform; a share f = 1/5 of them fall in a stall and wait uniformly 0..1 s,
    # so the corrected p99 is the stall's (1 - 0.01 / f) quantile: 950 ms plus service time.
    expected = 1000.0 * (1 - 0.01 / (1 / 5))
    print(f"  expected corrected p99 from the stall pattern: ~{expected:.0f} ms + service time")
    om = rep["open_model"]
    print(f"  iterations {om['iterations']}, dropped {om['dropped']}, late {om['late']}")
    if not os.path.exists(WRK2):
        print(f"wrk2 not found at {WRK2}: build it there (see this file's docstring) to compare")
        return
    with target(*STALL) as url:
        p99, _ = wrk2_p99(url, args.rate, args.seconds, args.connections)
    diff = 100 * (cor["p99"] - p99) / p99
    print(f"wrk2 -R{args.rate:.0f} -c{args.connections}: p99 {p99:.3f} ms")
    print(f"fastswarm corrected p99 vs wrk2: {diff:+.1f} % (goal within 10 %)")


if __name__ == "__main__":
    main()
