"""``fastswarm target``: serve the built-in target for demos, tests and benchmarks."""

from __future__ import annotations

import click


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--stall-every",
    type=float,
    default=0.0,
    show_default=True,
    help="Every this many seconds, stop answering for --stall-for seconds (0: never).",
)
@click.option(
    "--stall-for", type=float, default=0.0, show_default=True, help="Length of each stall in seconds."
)
def target_command(host: str, port: int, stall_every: float, stall_for: float) -> None:
    """Serve /, /bytes/N, /delay/MS, /status/CODE, /echo, /jobs and /__stats."""
    from fastswarm.target.app import describe_start_error, serve

    try:
        serve(host=host, port=port, stall_every=stall_every, stall_for=stall_for)
    except (OSError, ValueError) as exc:  # the port is taken, the host is not ours, bad stalls
        click.echo(f"fastswarm target: error: {describe_start_error(exc, host, port)}", err=True)
        raise SystemExit(2) from None
