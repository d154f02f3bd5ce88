"""The ``fastswarm`` command (``main.py``) and its ``--list`` output (``listing.py``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """The console script: imports the command line only here, so a Ctrl-C while the imports
    run (the first few tenths of a second) is one line and exit 130, not a traceback."""
    try:
        from fastswarm.cli.main import main as run_main
    except KeyboardInterrupt:
        print("fastswarm: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
    run_main(argv)
