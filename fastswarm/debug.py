"""``fastswarm.debug``: Locust's path of run_single_user; re-exports ``fastswarm/engine/single_user.py``."""

from __future__ import annotations

from fastswarm.engine.single_user import run_single_user as run_single_user
