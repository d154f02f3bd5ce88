"""``environment.create_web_ui()`` for library use: the status endpoint and UI over a local runner.

Locust's script ``env.create_local_runner(); env.create_web_ui("127.0.0.1", 8089)`` serves
the UI that drives that runner. Here it serves the master's own ``StatusApp`` (same routes,
same /stats layout, same guard and token) over ``local_control.LocalControl``, and sets
``environment.web_ui`` to the master's ``WebUI``, so a tasks file's routes and tabs work too.

The Environment (``user/``) sits below this layer, so this module registers the factory with
``user/env.py`` when it is imported; ``fastswarm.env`` (and so ``fastswarm.Environment``)
imports it. The app itself is imported on the first call, so that import stays light (a
worker whose tasks file imports ``fastswarm.env`` never loads it). Locust's options that have
no counterpart are refused with one line naming what to do instead; ``auth_credentials``
(basic auth) becomes ``token=`` (a bearer token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastswarm.engine.local_runner import LocalRunner
from fastswarm.exception import ConfigError
from fastswarm.user.env import Environment, register_web_ui_factory

if TYPE_CHECKING:
    from fastswarm.web.extend import WebUI

WHERE = "create_web_ui"
# Locust's keywords without a counterpart here, and what to do instead; refused unless left
# at Locust's default (None/False), so a script that spells the default out still runs.
_REFUSED = {
    "auth_credentials": "basic auth has no equivalent; pass token='...' (sent as 'Authorization: Bearer')",
    "tls_cert": "the endpoint serves plain HTTP; put a TLS proxy in front of it",
    "tls_key": "the endpoint serves plain HTTP; put a TLS proxy in front of it",
    "stats_csv_writer": "the CSVs are served at /stats.csv and /errors.csv",
    "delayed_start": "the endpoint serves from create_web_ui on; call it when it should start",
    "web_base_path": "the endpoint serves at /; strip a prefix in a proxy",
    "userclass_picker_is_active": "pick the classes in the script: runner.start(n, rate, user_classes=[...])",
    "modern_ui": "there is one UI, fastswarm's own",
    "build_path": "there is one UI, fastswarm's own",
}
_KNOWN = ("host", "port", "token", "web_login")


def create_web_ui(
    environment: Environment,
    host: str = "127.0.0.1",
    port: int = 8089,
    *,
    token: str | None = None,
    web_login: bool = False,
    **locust_options: Any,
) -> WebUI:
    """Serve the endpoint for ``environment``'s local runner on ``host:port`` (0: any free port,
    then read ``web_ui.port``); now ``environment.web_ui``, until ``web_ui.stop()``."""
    runner = environment.runner
    if not isinstance(runner, LocalRunner):
        hint = "the command line serves its own"
        raise ConfigError(f"{WHERE}: serves a local runner (env.create_local_runner()); {hint}")
    _refuse(locust_options)
    if not isinstance(host, str):
        raise ConfigError(f"{WHERE}: host must be text, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"{WHERE}: port must be a whole number from 0 to 65535, not {port!r}")
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise ConfigError(f"{WHERE}: token must be non-empty text, or None for no token")
    if web_login and token is None:
        raise ConfigError(f"{WHERE}: web_login=True asks for the token: pass token='...' too")
    from fastswarm.web.app import StatusApp
    from fastswarm.web.extend import WebUI
    from fastswarm.web.guard import HostGuard
    from fastswarm.web.local_control import LocalControl
    from fastswarm.web.server import WebServer

    control = LocalControl(runner)
    app = StatusApp(
        control,
        token,
        control.default_users,
        control.default_spawn_rate,
        guard=HostGuard(host),
        web_login=web_login,
    )
    server = WebServer(app, host, port, token, source=WHERE)
    server.start()  # a busy port: ConfigError, and no web_ui is set
    assert server.greenlet is not None
    control.watch(server.greenlet)
    web_ui = WebUI(app.extensions, server)
    environment.web_ui = web_ui
    return web_ui


def _refuse(options: dict[str, Any]) -> None:
    for name, value in options.items():
        if name not in _REFUSED:
            raise ConfigError(f"{WHERE}: unknown option {name!r} (known: {', '.join(_KNOWN)})")
        if value not in (None, False):
            raise ConfigError(f"{WHERE}: {name}: {_REFUSED[name]}")


register_web_ui_factory(create_web_ui)
