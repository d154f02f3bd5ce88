"""The pytest plugin (entry point ``pytest11``): ``session`` and ``fastsession`` fixtures.

With fastswarm installed, a pytest-style tasks file runs as a functional test under plain
``pytest test_file.py --host http://127.0.0.1:8080``: each fixture is a fresh client on that
host, recording nowhere (there is no run), so ``resp.raise_for_status()`` and plain asserts
fail the test as pytest expects. Under ``fastswarm -f test_file.py`` the same functions
become users instead (``pytest_users.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# pytest loads this plugin in every run: the clients (urllib3, ssl, gevent) are imported only
# when a test asks for a fixture, so a project's own gevent patching is not pre-empted.


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastswarm")
    group.addoption("--host", "-H", default=None, help="base URL for the session / fastsession fixtures")


def _host(config: pytest.Config) -> str:
    host = config.getoption("--host")
    if not host:
        pytest.fail("the session and fastsession fixtures need a base URL: pytest --host http://HOST:PORT")
    return str(host)


def _environment() -> Any:
    """An Environment with its own events and no recorder: requests are made, not counted."""
    from fastswarm.user.env import Environment
    from fastswarm.user.event import Events

    return Environment(events=Events())


@pytest.fixture
def session(pytestconfig: pytest.Config) -> Iterator[Any]:
    """An ``HttpSession`` on ``--host`` (fastswarm's HttpUser client)."""
    from fastswarm.http.session import HttpSession

    client = HttpSession(_environment(), _host(pytestconfig))
    yield client


@pytest.fixture
def fastsession(pytestconfig: pytest.Config) -> Iterator[Any]:
    """A ``FastHttpSession`` on ``--host`` (fastswarm's FastHttpUser client)."""
    from fastswarm.http.fast import FastHttpSession

    client = FastHttpSession(_environment(), _host(pytestconfig))
    yield client
