"""The master's side of a ``LoadTestShape``: tick it often, apply each change, stop on None.

Locust ticks once a second, so a stage shorter than that can pass unseen. Here the shape is
ticked every ``interval`` (0.1 s by default) on deadlines counted from the start, and every
value that differs from the previous one is applied, so a 0.3 s stage is seen about three
times and applied once. The driver only calls the runner's public commands: ``start`` for
users, ``start_open``/``set_rate`` for the open model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import gevent

from fastswarm.config.open_spec import OpenSpec
from fastswarm.config.settings import Config
from fastswarm.exception import FastswarmError, TasksFileError
from fastswarm.user.shape import LoadTestShape

log = logging.getLogger(__name__)

DEFAULT_TICK_INTERVAL = 0.1
_NOTHING = object()


@dataclass(frozen=True, slots=True)
class Stage:
    """One value a shape returned, as applied. ``rate`` is set for open-model stages only."""

    at_s: float  # shape run time when it was applied
    users: int | None = None
    spawn_rate: float | None = None
    user_classes: tuple[str, ...] | None = None
    rate: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at_s": round(self.at_s, 3)}
        if self.rate is not None:
            out["rate"] = self.rate
        else:
            out.update(users=self.users, spawn_rate=self.spawn_rate)
            out["user_classes"] = list(self.user_classes) if self.user_classes is not None else None
        return out


def parse_tick(value: Any, known: Sequence[type], shape_name: str) -> Stage:
    """Check what ``tick()`` returned; TasksFileError naming the shape when it is malformed."""
    where = f"{shape_name}.tick()"
    if isinstance(value, dict):
        if set(value) != {"rate"}:
            raise TasksFileError(f"{where} returned {value!r}; a dict must be exactly {{'rate': R}}")
        rate = _number(value["rate"], where, "rate")
        if rate <= 0:
            raise TasksFileError(f"{where} returned rate {rate}; it must be greater than 0")
        return Stage(0.0, rate=rate)
    if not isinstance(value, (tuple, list)) or len(value) not in (2, 3):
        raise TasksFileError(
            f"{where} returned {value!r}; expected (users, spawn_rate), "
            "(users, spawn_rate, user_classes), {'rate': R} or None"
        )
    users, spawn_rate = _number(value[0], where, "users"), _number(value[1], where, "spawn_rate")
    if users < 0 or not float(users).is_integer():
        raise TasksFileError(f"{where} returned users={value[0]!r}; it must be a whole number >= 0")
    if spawn_rate <= 0:
        raise TasksFileError(f"{where} returned spawn_rate={value[1]!r}; it must be greater than 0")
    classes = value[2] if len(value) == 3 else None
    names = None
    if classes is not None:
        by_name = {cls.__name__: cls for cls in known}
        names = tuple(getattr(cls, "__name__", repr(cls)) for cls in classes)
        unknown = [name for name in names if name not in by_name]
        if unknown or not names:
            found = ", ".join(sorted(by_name))
            raise TasksFileError(
                f"{where} asked for user classes {list(names)}; this test runs only: {found}"
            )
    return Stage(0.0, int(users), spawn_rate, names)


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TasksFileError(f"{where} returned {what}={value!r}; expected a number")
    return float(value)


def flags_a_shape_ignores(config: Config) -> list[str]:
    """The flags given that a shape overrides (-u, -r, -t), to warn about."""
    defaults = Config()
    given = (
        ("-u", config.users, defaults.users),
        ("-r", config.spawn_rate, defaults.spawn_rate),
        ("-t", config.run_time, defaults.run_time),
    )
    return [flag for flag, value, default in given if value != default]


class ShapeDriver:
    """Runs one shape in the master. ``start()`` spawns its greenlet; ``stop()`` kills it.

    ``on_done`` is called once when the shape says stop (returns None) or fails; the error,
    if any, is kept in ``error`` for the session to report after the run has stopped.
    """

    def __init__(
        self,
        shape: LoadTestShape,
        runner: Any,
        host: str | None,
        on_done: Callable[[], None],
        interval: float = DEFAULT_TICK_INTERVAL,
        open_spec: Callable[[float], OpenSpec] = OpenSpec,
    ) -> None:
        """``open_spec(rate)``: the plan a rate stage starts (the run's --arrival and --max-users)."""
        self.shape = shape
        self.runner = runner
        self.host = host
        self.on_done = on_done
        self.interval = interval
        self.open_spec = open_spec
        self.stages: list[Stage] = []
        self.error: FastswarmError | None = None
        self._greenlet: gevent.Greenlet | None = None
        self._open = False

    def start(self) -> None:
        self.shape.runner = self.runner
        self.shape.reset_time()
        self._greenlet = gevent.spawn(self._loop)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def report(self) -> dict[str, Any]:
        """The JSON report's ``shape`` object: the class and every stage applied."""
        return {"class": type(self.shape).__name__, "stages": [s.to_json() for s in self.stages]}

    def _loop(self) -> None:
        name = type(self.shape).__name__
        last: Any = _NOTHING
        next_at = time.monotonic()
        try:
            while True:
                value = self.shape.tick()
                if value is None:
                    log.info("load shape %s: tick() returned None; stopping the test", name)
                    break
                if value != last:
                    self._apply(parse_tick(value, self.runner.environment.user_classes, name))
                    last = value
                next_at += self.interval
                now = time.monotonic()
                if next_at < now:  # the loop was held up: tick at once, then count from now
                    next_at = now
                gevent.sleep(next_at - now)
        except FastswarmError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - the tasks file's code; one line for the user
            self.error = TasksFileError(f"{name}.tick(): {type(exc).__name__}: {exc}")
        self.on_done()

    def _apply(self, stage: Stage) -> None:
        runner = self.runner
        stage = replace(stage, at_s=self.shape.get_run_time())
        if stage.rate is not None:
            self._apply_rate(stage.rate)
        else:
            if self._open:
                raise TasksFileError(
                    f"{type(self.shape).__name__}.tick() switched from a rate to users; "
                    "a shape drives one model"
                )
            assert stage.users is not None and stage.spawn_rate is not None
            classes = None
            if stage.user_classes is not None:
                by_name = {cls.__name__: cls for cls in runner.environment.user_classes}
                classes = [by_name[n] for n in stage.user_classes]
            log.info("load shape: %d users at %g/s", stage.users, stage.spawn_rate)
            runner.start(stage.users, stage.spawn_rate, self.host, user_classes=classes)
        self.stages.append(stage)

    def _apply_rate(self, rate: float) -> None:
        runner = self.runner
        if self.stages and not self._open:
            raise TasksFileError(
                f"{type(self.shape).__name__}.tick() switched from users to a rate; a shape drives one model"
            )
        log.info("load shape: %g iterations/s", rate)
        if self._open:
            runner.set_rate(rate)
        else:
            runner.start_open(self.open_spec(rate), self.host)
        self._open = True
