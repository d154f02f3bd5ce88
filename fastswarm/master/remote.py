"""``--worker`` on a load host, and the master's side of CURVE keys: the run's two ends across hosts."""

from __future__ import annotations

import os
import sys

from fastswarm.config.settings import Config, is_loopback_host
from fastswarm.ipc.admission import Fingerprint
from fastswarm.ipc.keys import MasterKeys, load_master_keys, load_worker_keys
from fastswarm.ipc.supervisor import Supervisor
from fastswarm.ipc.worker import run_worker
from fastswarm.master.loader import TasksFile


def run_remote_workers(config: Config, tasks: TasksFile) -> int:
    """``--worker``: this host's worker processes, connected to the master at --master-host."""
    address = f"tcp://{config.master_host}:{config.master_port}"
    fingerprint = Fingerprint.of_tasks_file(tasks.path)
    keys = load_worker_keys(config.curve_dir) if config.curve_dir else None  # bad keys: exit 2 before forking
    if keys is None and not config.insecure and not is_loopback_host(config.master_host):
        warn(f"no --curve-dir: traffic to {address} is unencrypted (a master with keys refuses it)")
    if config.processes == 1:
        return run_worker(config, list(tasks.user_classes), address, fingerprint=fingerprint, keys=keys)
    supervisor = Supervisor()
    try:
        supervisor.fork_workers(
            config.processes,
            lambda _: run_worker(config, list(tasks.user_classes), address, True, fingerprint, keys),
        )
        supervisor.wait_all(timeout=float("inf"))
    except KeyboardInterrupt:
        supervisor.terminate_all()
        raise
    codes = [os.WEXITSTATUS(c.exit_status or 0) for c in supervisor.children]
    return max(codes, default=0)


def warn(line: str) -> None:
    """One warning line on stderr, as the run prints them."""
    print(f"fastswarm: warning: {line}", file=sys.stderr, flush=True)


def master_keys(config: Config, address: str) -> MasterKeys | None:
    """The master's CURVE keys (``--curve-dir``), or None; one loud line for ``--insecure``."""
    if config.curve_dir:
        return load_master_keys(config.curve_dir)
    if not is_loopback_host(config.master_bind_host):  # Config allowed it: --insecure was given
        warn(
            f"--insecure: {address} admits ANY worker, unencrypted; whoever reaches it can read "
            "this test and inject results (make keys: fastswarm keygen DIR; then --curve-dir DIR)"
        )
    return None
