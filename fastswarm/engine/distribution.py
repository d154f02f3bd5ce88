"""How a total of users is shared out: among classes by weight, then among workers.

Pure arithmetic, so the master can plan and tests can check it without processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def users_per_class(user_classes: Sequence[Any], total: int) -> dict[str, int]:
    """Users of each class for ``total`` users: fixed_count first, the rest by weight.

    The rest is split by largest remainder, so the counts always add up to ``total``
    (unless fixed counts alone exceed it, when they are filled in declaration order).
    """
    counts = {cls.__name__: 0 for cls in user_classes}
    remaining = total
    for cls in user_classes:
        fixed = int(getattr(cls, "fixed_count", 0) or 0)
        if fixed:
            take = min(fixed, remaining)
            counts[cls.__name__] = take
            remaining -= take
    weighted = [cls for cls in user_classes if not getattr(cls, "fixed_count", 0)]
    total_weight = sum(max(0, getattr(cls, "weight", 1)) for cls in weighted)
    if remaining <= 0 or not weighted or total_weight <= 0:
        return counts
    shares = [(cls, remaining * max(0, getattr(cls, "weight", 1)) / total_weight) for cls in weighted]
    for cls, share in shares:
        counts[cls.__name__] = int(share)
    leftover = remaining - sum(int(share) for _, share in shares)
    by_remainder = sorted(shares, key=lambda item: (-(item[1] - int(item[1])), weighted.index(item[0])))
    for cls, _ in by_remainder[:leftover]:
        counts[cls.__name__] += 1
    return counts


def split_across_workers(counts: dict[str, int], workers: int) -> list[dict[str, int]]:
    """Each worker's share of ``counts``: totals and each class differ by at most one.

    Users are dealt like cards, one at a time round the workers, class after class,
    with the dealer carrying on where the previous class stopped.
    """
    shares = [dict.fromkeys(counts, 0) for _ in range(workers)]
    position = 0
    for name, count in counts.items():
        base, extra = divmod(count, workers)
        for share in shares:
            share[name] = base
        for offset in range(extra):
            shares[(position + offset) % workers][name] += 1
        position = (position + extra) % workers
    return shares


def split_rate(rate: float, shares: Sequence[int]) -> list[float]:
    """Split a per-second rate in proportion to each worker's users, so all ramps end together."""
    total = sum(shares)
    if total == 0:
        return [rate / len(shares)] * len(shares) if shares else []
    return [rate * share / total for share in shares]


def users_per_class_among(all_classes: Sequence[Any], chosen: Sequence[Any], total: int) -> dict[str, int]:
    """``users_per_class`` over ``chosen`` only; every other class gets 0, so its users stop.

    A load shape's ``(users, spawn_rate, user_classes)`` stage uses this: the workers are
    told a count for every class they know, and ramp the unchosen ones down to none.
    """
    known = [cls.__name__ for cls in all_classes]
    unknown = [cls.__name__ for cls in chosen if cls.__name__ not in known]
    if unknown:
        raise ValueError(f"not among the test's user classes: {', '.join(unknown)}")
    counts = dict.fromkeys(known, 0)
    counts.update(users_per_class(chosen, total))
    return counts
