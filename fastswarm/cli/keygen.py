"""``fastswarm keygen DIR``: the CURVE keys that let a master and its workers trust each other.

The keys are written by ``ipc/keys.py`` (pyzmq's certificate format); this command only
says what it wrote and which files go to which host, and turns errors into one line.
"""

from __future__ import annotations

import sys

import click

from fastswarm.exception import FastswarmError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("directory", metavar="DIR")
@click.option("--force", is_flag=True, help="Replace keys already in DIR.")
def keygen_command(directory: str, force: bool) -> None:
    """Write a master and a worker CURVE keypair into DIR (secrets 0600).

    The master host needs master.key_secret and worker.key; each worker host needs
    worker.key_secret and master.key. Both sides then run with --curve-dir DIR.
    """
    from fastswarm.ipc.keys import generate

    try:
        files = generate(directory, force=force)
    except FastswarmError as exc:
        print(f"fastswarm: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    rows = [
        (files.master_public, "master public key: every worker host"),
        (files.master_secret, "master secret key (0600): the master host only"),
        (files.worker_public, "worker public key: the master host (it admits this key)"),
        (files.worker_secret, "worker secret key (0600): every worker host"),
    ]
    width = max(len(str(path)) for path, _ in rows)
    for path, role in rows:
        print(f"wrote {str(path):<{width}}  {role}")
    print(f"master: fastswarm --master --master-bind-host 0.0.0.0 --curve-dir {directory} ...")
    print(f"worker: fastswarm --worker --master-host MASTER --curve-dir {directory} ...")
