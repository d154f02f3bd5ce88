"""The options of a run across hosts: ``--master``/``--worker``, where they meet, keys, admission."""

from __future__ import annotations

from typing import Any

import click

from fastswarm.cli.option_groups import group

distributed_options = group(
    click.option("--master", is_flag=True, help="Run only the master; workers on other hosts connect to it."),
    click.option("--worker", is_flag=True, help="Run only workers, connecting to --master-host."),
    click.option(
        "--master-host", default="127.0.0.1", show_default=True, help="Where a --worker finds its master."
    ),
    click.option(
        "--master-port", type=int, default=5557, show_default=True, help="The master's protocol port."
    ),
    click.option(
        "--master-bind-host", default="127.0.0.1", show_default=True, help="Interface a --master binds."
    ),
    click.option("--curve-dir", metavar="DIR", help="Keys from 'fastswarm keygen DIR': CURVE on tcp://."),
    click.option("--insecure", is_flag=True, help="Let --master bind beyond loopback without --curve-dir."),
    click.option(
        "--expect-workers",
        type=int,
        default=1,
        show_default=True,
        help="With --master: worker processes to wait for before starting.",
    ),
    click.option(
        "--expect-workers-max-wait",
        "expect_workers_timeout",
        type=float,
        default=30.0,
        show_default=True,
        help="Seconds to wait for the workers to connect.",
    ),
    click.option(
        "--allow-mismatch",
        is_flag=True,
        help="With --master: accept workers whose tasks file or fastswarm version differs (warns).",
    ),
    click.option(
        "--max-message-size",
        type=int,
        default=64 * 1024 * 1024,
        show_default=True,
        metavar="BYTES",
        help="Largest master/worker message; a peer sending a bigger one is disconnected.",
    ),
)


def distributed_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The Config fields of the options above."""
    names = (
        "master", "worker", "master_host", "master_port", "master_bind_host", "curve_dir", "insecure",
        "expect_workers", "expect_workers_timeout", "allow_mismatch", "max_message_size",
    )  # fmt: skip
    return {name: params[name] for name in names}
