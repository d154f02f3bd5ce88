"""A worker's users: spawned and stopped at a rate, towards the counts the master asks for."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import gevent
from gevent.pool import Group

if TYPE_CHECKING:
    from fastswarm.user.env import Environment
    from fastswarm.user.users import User


def interleave(pending: dict[str, int]) -> list[str]:
    """Class names in spawn order, mixed so that every prefix keeps the classes' proportions."""
    total = sum(pending.values())
    done = dict.fromkeys(pending, 0)
    order: list[str] = []
    for step in range(1, total + 1):
        name = max(pending, key=lambda n: pending[n] * step / total - done[n])
        done[name] += 1
        order.append(name)
    return order


def stop_users(everyone: Sequence[User], group: Group, timeout: float) -> None:
    """Stop ``everyone``: those mid-task may finish it within ``timeout`` s, then all are killed."""
    for user in everyone:
        user.stop(force=timeout <= 0)
    if timeout > 0 and not group.join(timeout=timeout):
        for user in everyone:
            user.stop(force=True)
    group.kill(block=True, timeout=5)


class UserRunner:
    """Owns one worker's user greenlets; never touches the protocol."""

    def __init__(self, environment: Environment, user_classes: Sequence[type[User]]) -> None:
        self.environment = environment
        self.classes = {cls.__name__: cls for cls in user_classes}
        self.group = Group()
        self.users: dict[str, list[User]] = {name: [] for name in self.classes}
        self._ramp: gevent.Greenlet | None = None
        self._spawned = 0
        self._target = 0

    @property
    def user_count(self) -> int:
        return sum(len(users) for users in self.users.values())

    @property
    def ramp(self) -> gevent.Greenlet | None:
        """The greenlet moving towards the counts last asked for (Locust's ``spawning_greenlet``)."""
        return self._ramp

    @property
    def target_count(self) -> int:
        """The users the last ``apply`` asked for, in all."""
        return self._target

    def counts(self) -> dict[str, int]:
        return {name: len(users) for name, users in self.users.items()}

    def apply(
        self, targets: dict[str, int], spawn_rate: float, on_complete: Callable[[int], None] | None = None
    ) -> None:
        """Move towards ``targets`` at ``spawn_rate`` users/s; any earlier ramp is abandoned."""
        unknown = set(targets) - set(self.classes)
        if unknown:
            raise ValueError(f"unknown user classes: {', '.join(sorted(unknown))}")
        self._cancel_ramp()
        self._target = sum(targets.values())
        self._ramp = gevent.spawn(self._ramp_to, dict(targets), spawn_rate, on_complete)

    def _ramp_to(
        self, targets: dict[str, int], rate: float, on_complete: Callable[[int], None] | None
    ) -> None:
        """Start and stop users one at a time, ``rate`` per second, until the counts are ``targets``.

        Stopping goes at the spawn rate too, as in Locust (30 users at 2/s: 30, 28, 26...): a
        shape or a lower ``-u`` ramps down instead of dropping users all at once. Starts and
        stops of different classes are interleaved in proportion, so a change of classes at
        the same total keeps the total steady.
        """
        steps = {}
        for name, users in self.users.items():
            change = targets.get(name, 0) - len(users)
            if change:
                steps[("+" if change > 0 else "-") + name] = abs(change)
        interval = 1.0 / rate if rate > 0 else 0.0
        started = time.monotonic()
        for index, step in enumerate(interleave(steps)):
            # Deadlines from the ramp's start, so sleeping late never slows the ramp down.
            delay = started + index * interval - time.monotonic()
            gevent.sleep(delay if delay > 0 else 0)
            name = step[1:]
            if step[0] == "+":
                self._spawn_one(name)
            elif self.users[name]:
                self.users[name].pop().stop(force=False)
        if on_complete is not None:
            on_complete(self.user_count)

    def _spawn_one(self, name: str) -> None:
        env = self.environment
        user = self.classes[name](env)
        user.user_id = self._spawned * env.worker_count + env.worker_index
        self._spawned += 1
        self.users[name].append(user)
        greenlet = user.start(self.group)
        greenlet.link(lambda _: self._forget(name, user))

    def _forget(self, name: str, user: User) -> None:
        users = self.users[name]
        if user in users:
            users.remove(user)

    def _cancel_ramp(self) -> None:
        if self._ramp is not None:
            self._ramp.kill(block=True)
            self._ramp = None

    def stop(self, timeout: float) -> None:
        """Stop every user: those mid-task may finish it within ``timeout`` seconds; then kill."""
        self._cancel_ramp()
        stop_users([user for users in self.users.values() for user in users], self.group, timeout)
        for users in self.users.values():
            users.clear()
        self._spawned = self._target = 0
        self.environment.kill_background()
