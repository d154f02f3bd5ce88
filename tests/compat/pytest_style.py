"""A pytest-style file: functional test under `pytest --host URL`, load under `fastswarm -f`."""

import os

LOG = os.environ.get("COMPAT_LOG")


def test_home_page(session):
    resp = session.get("/", name="home")
    resp.raise_for_status()
    with session.get("/status/404", name="missing", catch_response=True) as resp:
        if resp.status_code == 404:
            resp.success()  # expected here


def test_echo_fast(fastsession):
    resp = fastsession.post("/echo", json={"n": 1}, name="echo")
    resp.raise_for_status()
    assert resp.json() == {"n": 1}
    if LOG:
        with open(LOG, "a") as f:
            f.write("echo ok\n")


def helper_not_a_test(session):
    raise AssertionError("never called: only test_* functions are tests")
