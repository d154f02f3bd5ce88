"""``CustomHandlers``: the tasks file's custom-message handlers, called safely by the master's inbox."""

from __future__ import annotations

import logging
from typing import Any

import gevent
import pytest

from fastswarm.ipc.custom_messages import CustomHandlers
from fastswarm.ipc.messages import Custom, CustomMessage
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.user.env import Environment
from fastswarm.user.event import Events

LOG = logging.getLogger("tests.custom_messages")


def _handlers() -> CustomHandlers:
    return CustomHandlers(Environment(role="master", events=Events()), ThrottledLog(LOG))


def test_a_handler_gets_the_environment_and_the_message_from_its_sender() -> None:
    handlers = _handlers()
    got: list[tuple[Any, CustomMessage]] = []
    handlers.register("hi", lambda environment, msg: got.append((environment, msg)))
    handlers.dispatch(Custom("hi", {"n": 1}), "worker-7", "worker 7 (host box, pid 1)")
    assert got == [(handlers.environment, CustomMessage("hi", {"n": 1}, "worker-7"))]


def test_a_concurrent_handler_runs_in_its_own_greenlet() -> None:
    handlers = _handlers()
    ran: list[bool] = []

    def slow(environment: Environment, msg: CustomMessage) -> None:
        gevent.sleep(0.01)
        ran.append(True)

    handlers.register("slow", slow, concurrent=True)
    handlers.dispatch(Custom("slow", None), "w", "w")
    assert ran == []  # dispatch returned before the handler finished
    gevent.sleep(0.1)
    assert ran == [True]


def test_a_missing_or_raising_handler_is_logged_and_dispatch_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handlers = _handlers()

    def boom(environment: Environment, msg: CustomMessage) -> None:
        raise RuntimeError("the tasks file's bug")

    handlers.register("boom", boom)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        handlers.dispatch(Custom("nobody", None), "w", "worker 1")
        handlers.dispatch(Custom("boom", None), "w", "worker 1")
        handlers.dispatch(Custom("boom", None), "w", "worker 1")  # the same failure again: throttled
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("WARNING", "no handler for custom message 'nobody'"),
        ("ERROR", "the handler of custom message 'boom' (from worker 1) raised; carrying on"),
    ]
    assert caplog.records[1].exc_info is not None
