"""``fastswarm.env``: Locust's path of the Environment; re-exports ``fastswarm/user/env.py``.

It also imports the local runner and library use's web UI, which register themselves with the
Environment, so that ``Environment(...).create_local_runner()`` and ``.create_web_ui()`` work
after Locust's import line.
"""

from __future__ import annotations

from fastswarm.engine.local_runner import LocalRunner as LocalRunner
from fastswarm.user.env import Environment as Environment
from fastswarm.user.env import Role as Role
from fastswarm.user.env import is_master as is_master
from fastswarm.user.env import is_worker as is_worker
from fastswarm.web.local_ui import create_web_ui as create_web_ui
