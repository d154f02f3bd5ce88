"""Floor for urllib3-based users: N greenlets, each with its own urllib3 pool doing GET / in a loop.

python bench/bare_urllib3.py --port 8080 --users 50 --duration 10
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import time  # noqa: E402

import urllib3  # noqa: E402
from bare_common import Counter, parse_args, run_loops  # noqa: E402


def main() -> None:
    args = parse_args(__doc__ or "")

    def worker(counter: Counter, deadline: float) -> None:
        pool = urllib3.HTTPConnectionPool(args.host, args.port, maxsize=1, retries=False)
        try:
            while time.monotonic() < deadline:
                r = pool.request("GET", "/")
                if r.status == 200:
                    counter.requests += 1
                else:
                    counter.failures += 1
        finally:
            pool.close()

    run_loops(args, worker)


if __name__ == "__main__":
    main()
