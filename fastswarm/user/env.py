"""The Environment: what a tasks file's code can see of the process it runs in.

One exists per process. On a worker it holds the recorder that the HTTP clients write
to and the runner that owns the users; on the master it holds the coordinator as
``runner``. ``role`` answers the question Locust never could: which process is this?

Library use (Locust's ``env.create_local_runner()``) needs a runner from the engine, a layer
above this one. Rather than import upwards, this module keeps a registry of runner factories
by kind (``register_runner_factory``) that the higher layer fills when it is imported:
``engine/local_runner.py`` registers ``"local"``, and ``web/local_ui.py`` the factory of
``create_web_ui``; ``fastswarm.env`` and the package's ``fastswarm.Environment`` import both,
so the Locust-style import lines find them filled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import gevent
from gevent.pool import Group

from fastswarm.exception import ConfigError
from fastswarm.stats.locust_api import DeferredSource, RequestStats
from fastswarm.user.event import Events
from fastswarm.user.event import events as global_events

if TYPE_CHECKING:
    from fastswarm.stats.recorder import Recorder

Role = Literal["master", "worker"]
RunnerFactory = Callable[["Environment"], Any]
WebUIFactory = Callable[..., Any]  # (environment, host, port, **options) -> web.extend.WebUI

_runner_factories: dict[str, RunnerFactory] = {}
_web_ui_factories: list[WebUIFactory] = []  # the one registered, once web/local_ui.py is loaded
# Locust's distributed runners need the forked or remote processes the command line manages.
_CLI_ONLY = {
    "master": "run the master with the command line: fastswarm -f FILE --processes N (or --master)",
    "worker": "run workers with the command line: fastswarm -f FILE --worker --master-host HOST",
}


def register_runner_factory(kind: str, factory: RunnerFactory) -> None:
    """Make ``factory(environment)`` what ``environment.create_<kind>_runner()`` calls."""
    _runner_factories[kind] = factory


def register_web_ui_factory(factory: WebUIFactory) -> None:
    """Make ``factory(environment, *args, **kwargs)`` what ``environment.create_web_ui()`` calls."""
    _web_ui_factories[:] = [factory]


class Environment:
    """Per-process state shared by users, event listeners and the runtime."""

    def __init__(
        self,
        *,
        role: Role = "worker",
        user_classes: list[type[Any]] | None = None,  # users.User subclasses (users.py imports this module)
        host: str | None = None,
        events: Events | None = None,
        recorder: Recorder | None = None,
        worker_index: int = 0,
        worker_count: int = 1,
        stop_timeout: float = 0.0,
        parsed_options: Any = None,
        tags: frozenset[str] | None = None,
        exclude_tags: frozenset[str] | None = None,
    ) -> None:
        self.role: Role = role
        self.user_classes = list(user_classes or [])
        self.host = host
        self.events = events if events is not None else global_events
        self.recorder = recorder
        self.worker_index = worker_index
        self.worker_count = worker_count
        self.stop_timeout = stop_timeout
        self.parsed_options = parsed_options
        self.tags = tags
        self.exclude_tags = exclude_tags
        self.runner: Any = None
        self.web_ui: Any = (
            None  # web.extend.WebUI on the master while it serves; None elsewhere (Locust's rule)
        )
        self._background = Group()
        self._early_stats: RequestStats | None = None

    # -- Locust's library use --
    def create_local_runner(self) -> Any:
        """A runner for this process's users (``engine/local_runner.LocalRunner``), now ``self.runner``."""
        return self._create_runner("local")

    def create_master_runner(self, *_args: Any, **_kwargs: Any) -> Any:
        """Not in library use: raises NotImplementedError naming the command line that does it."""
        raise NotImplementedError(f"create_master_runner: {_CLI_ONLY['master']}")

    def create_worker_runner(self, *_args: Any, **_kwargs: Any) -> Any:
        """Not in library use: raises NotImplementedError naming the command line that does it."""
        raise NotImplementedError(f"create_worker_runner: {_CLI_ONLY['worker']}")

    def create_web_ui(self, host: str = "127.0.0.1", port: int = 8089, **options: Any) -> Any:
        """Serve the status endpoint and UI over this environment's local runner, now
        ``self.web_ui`` (``web/local_ui.create_web_ui``: its options, and what it refuses)."""
        if self.web_ui is not None:
            raise ConfigError("create_web_ui: this environment has a web UI already (env.web_ui)")
        if self.runner is None:
            raise ConfigError("create_web_ui: create the runner first: env.create_local_runner()")
        if not _web_ui_factories:
            hint = "import Environment from fastswarm or fastswarm.env"
            raise ConfigError(f"create_web_ui: the web UI is not loaded; {hint}")
        return _web_ui_factories[0](self, host, port, **options)

    def _create_runner(self, kind: str) -> Any:
        if self.runner is not None:
            raise ConfigError(f"create_{kind}_runner: this environment has a runner already")
        factory = _runner_factories.get(kind)
        if factory is None:
            hint = "import Environment from fastswarm or fastswarm.env"
            raise ConfigError(f"create_{kind}_runner: no {kind} runner is loaded; {hint}")
        return factory(self)

    def use_host(self, host: str | None = None) -> None:
        """Take ``host`` (``-H``, the web UI's) when one is given; then, as Locust's runners do
        before spawning, copy the environment's host into every user class, so that a plain
        User reading ``self.host`` sees ``-H``. With no host anywhere, each class keeps its own."""
        if host:
            self.host = host
        if self.host:
            for user_class in self.user_classes:
                user_class.host = self.host

    @property
    def stats(self) -> RequestStats:
        """Locust's ``environment.stats``: its runner's ``stats`` (the same object, history
        included) once it has a runner; before that, a view that follows whichever runner
        it gets (empty until then), so ``stats`` taken early stays current."""
        own = self._runner_stats()
        if own is not None:
            return own
        if self._early_stats is None:
            self._early_stats = RequestStats(DeferredSource(self._runner_stats))
        return self._early_stats

    def _runner_stats(self) -> RequestStats | None:
        own = getattr(self.runner, "stats", None)
        return own if isinstance(own, RequestStats) else None

    def spawn(self, fn: Any, *args: Any, **kwargs: Any) -> gevent.Greenlet:
        """Start background work that lasts the whole test; it is killed when the test stops."""
        return self._background.spawn(fn, *args, **kwargs)

    def kill_background(self, timeout: float = 1.0) -> None:
        """Kill every greenlet started with ``spawn``; called by the runtime when a test stops."""
        self._background.kill(block=True, timeout=timeout)


_current: Environment | None = None


def set_current(environment: Environment | None) -> None:
    """Record the process's environment so that ``is_master()`` / ``is_worker()`` can answer."""
    global _current
    _current = environment


def current() -> Environment | None:
    """The environment of this process, once the runtime has made one."""
    return _current


def is_master() -> bool:
    """True in the master process (the one that aggregates and never generates load)."""
    return _current is not None and _current.role == "master"


def is_worker() -> bool:
    """True in a worker process (one that runs users)."""
    return _current is not None and _current.role == "worker"
