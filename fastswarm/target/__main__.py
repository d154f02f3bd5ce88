"""``python -m fastswarm.target``: the built-in target on its own, without the fastswarm CLI."""

from __future__ import annotations

import argparse
import sys

from fastswarm.target.app import describe_start_error, serve


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; a port in use (or a bad option value) is one line and exit 2."""
    parser = argparse.ArgumentParser(prog="python -m fastswarm.target", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--stall-every", type=float, default=0.0, help="seconds between stalls (0: never)")
    parser.add_argument("--stall-for", type=float, default=0.0, help="seconds each stall lasts")
    parser.add_argument("--access-log", action="store_true", help="log every request (slow)")
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.stall_every, args.stall_for, quiet=not args.access_log)
    except (OSError, ValueError) as exc:
        print(f"error: {describe_start_error(exc, args.host, args.port)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
