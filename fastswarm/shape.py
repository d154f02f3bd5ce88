"""``fastswarm.shape``: Locust's path of LoadTestShape; re-exports ``fastswarm/user/shape.py``."""

from __future__ import annotations

from fastswarm.user.shape import LoadTestShape as LoadTestShape
