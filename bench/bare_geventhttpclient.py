"""Floor for geventhttpclient-based users (Locust's FastHttpUser client): N greenlets, each with its own
geventhttpclient HTTPClient doing GET / in a loop. Runs in bench/.locust-venv, which has geventhttpclient.

    python bench/bare_geventhttpclient.py --port 8080 --users 50 --duration 10
"""

from __future__ import annotations

import time

from bare_common import Counter, parse_args, run_loops
from geventhttpclient import HTTPClient


def main() -> None:
    args = parse_args(__doc__ or "")

    def worker(counter: Counter, deadline: float) -> None:
        client = HTTPClient(args.host, args.port, concurrency=1)
        try:
            while time.monotonic() < deadline:
                r = client.get("/")
                r.read()
                if r.status_code == 200:
                    counter.requests += 1
                else:
                    counter.failures += 1
        finally:
            client.close()

    run_loops(args, worker)


if __name__ == "__main__":
    main()
