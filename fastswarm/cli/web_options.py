"""The options of the master's status endpoint and web UI."""

from __future__ import annotations

from typing import Any

import click

from fastswarm.cli.option_groups import group, split_words

web_options = group(
    click.option(
        "--web-host",
        default="127.0.0.1",
        show_default=True,
        help="Interface of the status endpoint and web UI.",
    ),
    click.option(
        "-P", "--web-port", type=int, default=8089, show_default=True, help="Port of the status endpoint."
    ),
    click.option("--no-web", is_flag=True, help="Serve no status endpoint."),
    click.option("--autostart", is_flag=True, help="Start the test at once, and keep the web UI up."),
    click.option(
        "--autoquit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="With --autostart: quit this many seconds after the test ends.",
    ),
    click.option(
        "--web-auth-token",
        default=None,
        metavar="TOKEN",
        help="Require 'Authorization: Bearer TOKEN' on every route but /healthz.",
    ),
    click.option(
        "--web-login",
        is_flag=True,
        help="With --web-auth-token: a browser without the token gets a login form asking for it "
        "(a cookie then carries it), instead of a 401.",
    ),
    click.option(
        "--web-allow-host",
        "web_allow_host",
        multiple=True,
        metavar="HOST",
        help="Serve the status endpoint under this host name too, and let its pages POST (repeatable; "
        "'.example.com' for a whole domain, '*' for any). Without it, only the bound address, localhost "
        "and loopback addresses (any address when bound to 0.0.0.0) are served: a guard against DNS "
        "rebinding.",
    ),
    click.option(
        "--web-log-lines",
        type=int,
        default=500,
        show_default=True,
        metavar="N",
        help="Keep the master's last N log lines for the web UI's Logs tab and GET /logs (0: none).",
    ),
)


def web_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The Config fields of the options above."""
    names = (
        "web_host",
        "web_port",
        "no_web",
        "autostart",
        "autoquit",
        "web_auth_token",
        "web_log_lines",
        "web_login",
    )
    return {
        **{name: params[name] for name in names},
        "web_allow_hosts": split_words(params["web_allow_host"]),
    }
