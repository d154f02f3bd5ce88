"""``fastswarm.env``: Locust's path of the Environment; re-exports ``fastswarm/user/env.py``."""

from __future__ import annotations

from fastswarm.user.env import Environment as Environment
from fastswarm.user.env import Role as Role
from fastswarm.user.env import is_master as is_master
from fastswarm.user.env import is_worker as is_worker
