"""MarkovTaskSet in-process: the chain is checked when the class is made, and walked by weight."""

from __future__ import annotations

import logging
import random
from collections import Counter

import pytest

from fastswarm import MarkovTaskSet, User, tag, transition, transitions
from fastswarm.env import Environment
from fastswarm.exception import TasksFileError
from fastswarm.user.markov_taskset import (
    InvalidTransitionError,
    MarkovTaskTagError,
    NoMarkovTasksError,
    NonMarkovTaskTransitionError,
)


class Chain(MarkovTaskSet):
    @transition("b")
    def a(self) -> None:
        pass

    @transitions({"a": 1, "c": 3})
    def b(self) -> None:
        pass

    @transitions(["b", ("a", 2)])
    def c(self) -> None:
        pass


def _walk(steps: int) -> list[str]:
    random.seed(7)
    owner = User(Environment())
    chain = Chain(owner)
    return [chain.get_next_task().__name__ for _ in range(steps)]


def test_starts_at_the_first_task_and_only_follows_transitions() -> None:
    walk = _walk(4000)
    allowed = {"a": {"b"}, "b": {"a", "c"}, "c": {"a", "b"}}
    assert walk[0] == "a"
    assert all(nxt in allowed[cur] for cur, nxt in zip(walk, walk[1:], strict=False))


def test_transitions_are_taken_by_weight() -> None:
    walk = _walk(6000)
    after_b = Counter(nxt for cur, nxt in zip(walk, walk[1:], strict=False) if cur == "b")
    after_c = Counter(nxt for cur, nxt in zip(walk, walk[1:], strict=False) if cur == "c")
    assert 2.4 < after_b["c"] / after_b["a"] < 3.7, after_b  # 3 : 1
    assert 1.6 < after_c["a"] / after_c["b"] < 2.5, after_c  # 2 : 1


@pytest.mark.parametrize(
    ("error", "body"),
    [
        (NoMarkovTasksError, "def a(self): pass"),
        (InvalidTransitionError, "@transition('nope')\n    def a(self): pass"),
        (NonMarkovTaskTransitionError, "@transition('b')\n    def a(self): pass\n    def b(self): pass"),
        (MarkovTaskTagError, "@tag('x')\n    @transition('a')\n    def a(self): pass"),
        (InvalidTransitionError, "@transition('a', weight=0)\n    def a(self): pass"),
    ],
)
def test_a_broken_chain_is_a_tasks_file_error_when_the_class_is_made(error: type, body: str) -> None:
    source = f"class Broken(MarkovTaskSet):\n    {body}\n"
    with pytest.raises(error) as caught:
        exec(source, {"MarkovTaskSet": MarkovTaskSet, "transition": transition, "tag": tag})
    assert isinstance(caught.value, TasksFileError) and "Broken" in str(caught.value)


@pytest.mark.parametrize("bad", [("a", -1), ("a", 1.5), (3, 1)])
def test_bad_decorator_arguments_are_refused(bad: tuple[object, object]) -> None:
    with pytest.raises(TasksFileError):
        transition(bad[0], bad[1])  # type: ignore[arg-type]


def test_unreachable_tasks_are_named_in_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):

        class Island(MarkovTaskSet):
            @transition("a")
            def a(self) -> None:
                pass

            @transition("a")
            def lonely(self) -> None:
                pass

    assert "lonely" in caplog.text and Island.tasks


def test_an_abstract_markov_taskset_is_not_checked() -> None:
    class Base(MarkovTaskSet):
        abstract = True

    assert Base.abstract
