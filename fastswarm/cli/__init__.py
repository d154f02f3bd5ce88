"""The ``fastswarm`` command (``main.py``) and its ``--list`` output (``listing.py``)."""

from __future__ import annotations

from fastswarm.cli.main import main as main
