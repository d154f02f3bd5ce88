"""The master's ``UserDealer`` on its own: who is sent which share, at which rate."""

from __future__ import annotations

import pytest

from fastswarm.ipc.messages import Message, Spawn
from fastswarm.ipc.state import WorkerInfo
from fastswarm.ipc.user_dealer import UserDealer

HOST = "http://127.0.0.1:1"


def _dealer(expected: int = 2) -> tuple[UserDealer, list[tuple[bytes, Message]]]:
    sent: list[tuple[bytes, Message]] = []
    return UserDealer(lambda identity, message: sent.append((identity, message)), expected, 1.0), sent


def _workers(*names: str) -> list[WorkerInfo]:
    return [WorkerInfo(name.encode(), i, 100 + i, "box") for i, name in enumerate(names)]


def _spawns(sent: list[tuple[bytes, Message]]) -> dict[bytes, Spawn]:
    assert all(isinstance(m, Spawn) for _, m in sent)
    return {i: m for i, m in sent if isinstance(m, Spawn)}


def test_a_test_from_zero_splits_users_and_rate_so_every_ramp_ends_together() -> None:
    dealer, sent = _dealer(expected=3)
    workers = _workers("a", "b", "c")
    workers[0].spawned = workers[0].stopped = True
    dealer.plan({"Reader": 7, "Writer": 2}, spawn_rate=9.0)
    assert dealer.deal(list(reversed(workers)), generation=5, host=HOST, from_zero=True) == 3
    spawns = _spawns(sent)
    assert [sum(spawns[w.identity].user_counts.values()) for w in workers] == [3, 3, 3]
    assert [spawns[w.identity].spawn_rate for w in workers] == pytest.approx([3.0, 3.0, 3.0])
    assert {(s.host, s.worker_count) for s in spawns.values()} == {(HOST, 3)}
    assert [(w.assigned_test, w.spawned, w.stopped) for w in workers] == [(5, False, False)] * 3
    assert [w.share for w in workers] == [spawns[w.identity].user_counts for w in workers]


def test_moving_users_splits_the_rate_by_the_users_each_must_move_and_skips_the_unchanged() -> None:
    dealer, sent = _dealer()
    a, b, c = _workers("a", "b", "c")
    dealer.plan({"Reader": 6}, spawn_rate=4.0)
    dealer.deal([a, b], 1, HOST, from_zero=True)
    sent.clear()
    dealer.deal([a, b, c], 1, HOST, from_zero=False)  # c joined: a and b give one each
    spawns = _spawns(sent)
    assert {i: sum(s.user_counts.values()) for i, s in spawns.items()} == {b"a": 2, b"b": 2, b"c": 2}
    assert [spawns[i].spawn_rate for i in (b"a", b"b", b"c")] == pytest.approx([1.0, 1.0, 2.0])
    sent.clear()
    assert dealer.deal([a, b, c], 1, HOST, from_zero=False) == 0  # nothing changed: nothing sent
    assert sent == []


def test_a_worker_with_nothing_to_move_still_gets_a_rate_above_zero() -> None:
    dealer, sent = _dealer()
    a, b, c = _workers("a", "b", "c")
    dealer.plan({"Reader": 4}, spawn_rate=2.0)
    dealer.deal([a, b], 1, HOST, from_zero=True)
    sent.clear()
    dealer.plan({"Reader": 6}, spawn_rate=4.0)  # the next test: a and b keep 2 each, c starts 2
    dealer.deal([a, b, c], 2, HOST, from_zero=False)
    spawns = _spawns(sent)
    assert [spawns[i].spawn_rate for i in (b"a", b"b", b"c")] == [4.0, 4.0, 4.0]
    assert [sum(spawns[i].user_counts.values()) for i in (b"a", b"b", b"c")] == [2, 2, 2]


def test_resend_repeats_the_share_only_for_this_test() -> None:
    dealer, sent = _dealer()
    a, b = _workers("a", "b")
    dealer.plan({"Reader": 3}, spawn_rate=1.5)
    dealer.deal([a], 7, HOST, from_zero=True)
    sent.clear()
    dealer.resend(a, 7, HOST)
    dealer.resend(b, 7, HOST)  # never dealt this test's users
    dealer.resend(a, 8, HOST)  # a newer test: its share is not a's
    assert sent == [(b"a", Spawn({"Reader": 3}, 1.5, HOST, 2))]
