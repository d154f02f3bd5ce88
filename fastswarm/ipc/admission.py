"""Who may join: the same protocol, the same fastswarm, the same tasks file.

A worker on another host imports its own copy of the tasks file. If that copy differs
from the master's (an old checkout, a local edit), its users do something else than the
master's report says, and the run's numbers mean nothing; before this check it showed up,
at best, as a lost worker at spawn time. Each worker's ``Hello`` carries the SHA-256 of
its tasks file's bytes and its fastswarm version; the master compares them with its own
and refuses a mismatch with a reason both sides print (``--allow-mismatch`` accepts it
with a warning). Only the tasks file itself is hashed, not the modules it imports.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from fastswarm import __version__
from fastswarm.ipc.messages import PROTOCOL_VERSION, Hello
from fastswarm.ipc.peer_log import ThrottledLog
from fastswarm.ipc.state import Refusal, WorkerInfo

RECENT_REFUSALS = 20  # how many refusals /stats lists


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a process runs: its tasks file's SHA-256 (hex) and fastswarm's version."""

    tasks_sha256: str
    version: str = __version__

    @classmethod
    def of_tasks_file(cls, path: str | Path) -> Fingerprint:
        """The fingerprint of the tasks file at ``path`` (read once, when the run starts)."""
        return cls(hashlib.sha256(Path(path).read_bytes()).hexdigest())


@dataclass(frozen=True, slots=True)
class Verdict:
    """The master's answer to a Hello: ``refuse`` (a reason) or not; ``warning`` to log if taken."""

    refuse: str | None = None
    warning: str | None = None


def judge_hello(hello: Hello, mine: Fingerprint | None, allow_mismatch: bool) -> Verdict:
    """Refuse another protocol always; another fastswarm or tasks file unless allowed."""
    if hello.version != PROTOCOL_VERSION:
        return Verdict(refuse=f"protocol {hello.version}, master speaks {PROTOCOL_VERSION}")
    if mine is None:
        return Verdict()
    differences = []
    if hello.fastswarm_version != mine.version:
        differences.append(f"fastswarm {hello.fastswarm_version or '?'} (the master runs {mine.version})")
    if hello.tasks_sha256 != mine.tasks_sha256:
        differences.append(
            f"a different tasks file (sha256 {hello.tasks_sha256[:12] or '?'}, "
            f"the master's is {mine.tasks_sha256[:12]})"
        )
    if not differences:
        return Verdict()
    what = "the worker runs " + " and ".join(differences)
    if allow_mismatch:
        return Verdict(warning=f"{what}; accepted (--allow-mismatch)")
    return Verdict(refuse=f"{what}; run the same tasks file and fastswarm everywhere, or --allow-mismatch")


class Door:
    """The master's door: judges each Hello, keeps the recent refusals, names peers in logs."""

    def __init__(self, fingerprint: Fingerprint | None, allow_mismatch: bool, peer_log: ThrottledLog) -> None:
        self.fingerprint = fingerprint
        self.allow_mismatch = allow_mismatch
        self.peer_log = peer_log
        self.refusals: deque[Refusal] = deque(maxlen=RECENT_REFUSALS)
        self._refused: dict[bytes, Refusal] = {}  # identity -> its refusal, to name it later

    def judge(self, hello: Hello) -> Verdict:
        return judge_hello(hello, self.fingerprint, self.allow_mismatch)

    def refuse(self, identity: bytes, hello: Hello, reason: str) -> None:
        """Record and log (rate-limited) a refusal; the caller sends the Rejected."""
        refusal = Refusal(time.time(), hello.hostname, hello.pid, reason)
        self.refusals.append(refusal)
        if len(self._refused) >= 1000:
            self._refused.clear()
        self._refused[identity] = refusal
        self.peer_log.log(
            logging.WARNING,
            ("refused", identity, reason),
            "refused a worker (host %s, pid %d): %s",
            hello.hostname,
            hello.pid,
            reason,
        )

    def name(self, identity: bytes, worker: WorkerInfo | None) -> str:
        """A peer as log lines name it: the worker if known, else what its Hello said, else its id."""
        if worker is not None:
            return worker.describe()
        refused = self._refused.get(identity)
        if refused is not None:
            return f"refused peer (host {refused.hostname}, pid {refused.pid})"
        return f"unknown peer {identity[:40]!r}"
