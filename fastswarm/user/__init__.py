"""The tasks-file API, laid out as Locust's ``locust.user`` package.

``users.py`` (User), ``task.py`` (``@task``, ``@tag``, TaskSet), ``sequential_taskset.py``,
``wait_time.py``; and what a tasks file's code touches around them: ``env.py`` (the
Environment), ``event.py`` (the events), ``shape.py`` (LoadTestShape). HttpUser and
FastHttpUser build on this package from ``fastswarm/http``.
"""

from __future__ import annotations

from fastswarm.user.sequential_taskset import SequentialTaskSet as SequentialTaskSet
from fastswarm.user.task import TaskSet as TaskSet
from fastswarm.user.task import tag as tag
from fastswarm.user.task import task as task
from fastswarm.user.users import User as User
from fastswarm.user.wait_time import between as between
from fastswarm.user.wait_time import constant as constant
from fastswarm.user.wait_time import constant_pacing as constant_pacing
from fastswarm.user.wait_time import constant_throughput as constant_throughput
