"""``fastswarm.log``: Locust's path of setup_logging; re-exports ``fastswarm/config/log.py``."""

from __future__ import annotations

from fastswarm.config.log import setup_logging as setup_logging
