"""``fastswarm.exceptions``: an older path of ``fastswarm.exception``; re-exports only."""

from __future__ import annotations

from fastswarm.exception import CatchResponseError as CatchResponseError
from fastswarm.exception import CheckFailedError as CheckFailedError
from fastswarm.exception import ConfigError as ConfigError
from fastswarm.exception import FastswarmError as FastswarmError
from fastswarm.exception import InterruptTaskSet as InterruptTaskSet
from fastswarm.exception import LocustError as LocustError
from fastswarm.exception import ProtocolError as ProtocolError
from fastswarm.exception import RescheduleTask as RescheduleTask
from fastswarm.exception import RescheduleTaskImmediately as RescheduleTaskImmediately
from fastswarm.exception import ResponseError as ResponseError
from fastswarm.exception import StopUser as StopUser
from fastswarm.exception import TasksFileError as TasksFileError
from fastswarm.exception import WorkerLostError as WorkerLostError
