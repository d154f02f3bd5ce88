"""Achieved vs target open-model rate over a run, with the per-second spread.

Run: ``.venv/bin/python bench/accuracy/rate.py [--rates 500,2000,3000] [--seconds 30] [--processes 2]``.
Goal: the steady per-second mean within 0.5 % of the target; dropped/late and the
generator self-check tell whether the generator kept up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fastswarm_open, per_second_rates, target  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rates", default="500,2000", help="comma-separated iterations/s")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--url", default=None, help="a running target (e.g. bench/nginx.sh's); default: built-in")

    args = ap.parse_args()
    print(f"{'target/s':>9} {'iters':>7} {'expect':>7} {'mean/s':>9} {'err %':>7} {'min/s':>8} {'max/s':>8} "
          f"{'sd/s':>6} {'dropped':>7} {'late':>6} {'lag p99 ms':>10}  generator")  # fmt: skip
    for rate in (float(r) for r in args.rates.split(",")):
        if args.url:
            rep = fastswarm_open(args.url, "/", rate, args.seconds, args.processes)
        else:
            with target() as url:
                rep = fastswarm_open(url, "/", rate, args.seconds, args.processes)
        om = rep["open_model"]
        secs = per_second_rates(rep["_history"])
        mean = statistics.fmean(secs) if secs else 0.0
        gen = "LIMITED: " + str(rep["generator_limited_reason"]) if rep["generator_limited"] else "ok"
        print(
            f"{rate:>9.0f} {om['iterations']:>7} {rate * args.seconds:>7.0f} {mean:>9.1f} "
            f"{100 * (mean - rate) / rate:>+7.2f} {min(secs, default=0):>8.1f} {max(secs, default=0):>8.1f} "
            f"{statistics.pstdev(secs) if secs else 0:>6.1f} {om['dropped']:>7} {om['late']:>6} "
            f"{om['schedule_lag_ms']['p99']:>10.3f}  {gen} (peak CPU {rep['generator_peak_cpu_percent']}%)",
            flush=True,
        )


if __name__ == "__main__":
    main()
