from __future__ import annotations

import pytest

from fastswarm.engine.distribution import split_across_workers, split_rate, users_per_class
from fastswarm.engine.runner import interleave


def _cls(name: str, weight: int = 1, fixed_count: int = 0) -> type:
    return type(name, (), {"weight": weight, "fixed_count": fixed_count})


def test_users_per_class_follows_weights_and_adds_up() -> None:
    a, b, c = _cls("A", 3), _cls("B", 1), _cls("C", 1)
    assert users_per_class([a, b, c], 10) == {"A": 6, "B": 2, "C": 2}
    for total in range(0, 50):
        assert sum(users_per_class([a, b, c], total).values()) == total


def test_fixed_count_is_global_and_comes_first() -> None:
    admin, shopper = _cls("Admin", fixed_count=1), _cls("Shopper", 5)
    assert users_per_class([admin, shopper], 10) == {"Admin": 1, "Shopper": 9}
    assert users_per_class([admin, shopper], 1) == {"Admin": 1, "Shopper": 0}
    assert users_per_class([admin, shopper], 0) == {"Admin": 0, "Shopper": 0}


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_split_across_workers_is_fair(workers: int) -> None:
    counts = {"A": 7, "B": 5, "C": 1}
    shares = split_across_workers(counts, workers)
    totals = [sum(s.values()) for s in shares]
    assert max(totals) - min(totals) <= 1
    for name, count in counts.items():
        per_worker = [s[name] for s in shares]
        assert sum(per_worker) == count
        assert max(per_worker) - min(per_worker) <= 1


def test_fixed_count_of_one_lands_on_exactly_one_worker() -> None:
    shares = split_across_workers({"Admin": 1, "Shopper": 9}, 4)
    assert sum(s["Admin"] for s in shares) == 1


def test_split_rate_is_proportional() -> None:
    assert split_rate(10.0, [3, 1]) == [7.5, 2.5]
    assert split_rate(4.0, [0, 0]) == [2.0, 2.0]


def test_interleave_keeps_proportions_in_every_prefix() -> None:
    order = interleave({"A": 30, "B": 10})
    assert len(order) == 40
    for end in range(4, 41, 4):
        assert order[:end].count("B") == end // 4
