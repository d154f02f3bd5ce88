"""StopUser, RescheduleTask and InterruptTaskSet raised by a listener reach the code that fired the event."""

from __future__ import annotations

import logging

import pytest

from fastswarm.event import EventHook
from fastswarm.exception import InterruptTaskSet, RescheduleTask, StopUser


@pytest.mark.parametrize("steer", [StopUser, RescheduleTask, InterruptTaskSet])
def test_a_steering_exception_propagates_and_stops_the_listener_list(steer: type[Exception]) -> None:
    hook, called = EventHook(), []

    def first(**kwargs: object) -> None:
        called.append("first")
        raise steer()

    hook += first
    hook += lambda **kwargs: called.append("second")
    with pytest.raises(steer):
        hook.fire(value=1)
    assert called == ["first"]


def test_any_other_listener_error_is_logged_and_the_rest_run(caplog: pytest.LogCaptureFixture) -> None:
    hook, called = EventHook(), []

    def broken(**kwargs: object) -> None:
        raise KeyError("oops")

    hook += broken
    hook += lambda **kwargs: called.append("second")
    with caplog.at_level(logging.ERROR):
        hook.fire()
    assert called == ["second"] and "oops" in caplog.text
