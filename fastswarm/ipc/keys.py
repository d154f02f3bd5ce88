"""CURVE key files for tcp:// runs: writing them (``fastswarm keygen``) and loading them.

The files are pyzmq's own certificate format (``zmq.auth.create_certificates``), so any
ZeroMQ tool reads them. One directory holds them:

- ``master.key`` / ``master.key_secret``: the master's keypair. A worker needs
  ``master.key`` (to know it talks to the real master); only the master needs the secret.
- ``worker.key`` / ``worker.key_secret``: the workers' keypair. A worker needs
  ``worker.key_secret`` (it holds both halves); the master accepts the public key of every
  ``worker*.key`` in its directory, so a second worker keypair (another ``keygen``, its
  ``worker.key`` copied in as ``worker-b.key``) can be admitted or revoked on its own.

Secret files are written 0600: generated in a private temporary folder, made
owner-only, then moved into place, so they are never readable by others, not even briefly.
A missing, unreadable or malformed file is one ``ConfigError`` line naming the file.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import zmq
from zmq.auth.certs import create_certificates, load_certificate

from fastswarm.exception import ConfigError

log = logging.getLogger(__name__)

MASTER = "master"
WORKER = "worker"
_SETTING = "--curve-dir"
_HINT = "make keys with: fastswarm keygen DIR"


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """What the master's ROUTER needs: its own keypair and the worker public keys it admits."""

    public: bytes
    secret: bytes
    workers: frozenset[bytes]  # z85 public keys
    source: str  # the directory, for log lines


@dataclass(frozen=True, slots=True)
class WorkerKeys:
    """What a worker's DEALER needs: its own keypair and the master's public key."""

    public: bytes
    secret: bytes
    master: bytes


@dataclass(frozen=True, slots=True)
class KeyFiles:
    """The four files ``generate`` wrote."""

    master_public: Path
    master_secret: Path
    worker_public: Path
    worker_secret: Path


def generate(directory: str | Path, force: bool = False) -> KeyFiles:
    """Write a master and a worker keypair into ``directory`` (made 0700 if new)."""
    folder = Path(directory)
    files = KeyFiles(
        folder / f"{MASTER}.key",
        folder / f"{MASTER}.key_secret",
        folder / f"{WORKER}.key",
        folder / f"{WORKER}.key_secret",
    )
    existing = [str(p) for p in _paths(files) if p.exists()]
    if existing and not force:
        raise ConfigError(f"keygen: {existing[0]} already exists (--force replaces the keys)")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(prefix=".keygen-", dir=folder))  # 0700: nobody else can look in
        try:
            for name in (MASTER, WORKER):
                public, secret = create_certificates(str(private), name)
                os.chmod(secret, 0o600)
                os.chmod(public, 0o644)
            for path in _paths(files):
                os.replace(private / path.name, path)
        finally:
            shutil.rmtree(private, ignore_errors=True)
    except OSError as exc:
        raise ConfigError(f"keygen: cannot write keys in {folder}: {exc.strerror or exc}") from None
    return files


def load_master_keys(directory: str | Path) -> MasterKeys:
    """The master's keypair and every ``worker*.key`` public key in ``directory``."""
    folder = _folder(directory)
    public, secret = _load(folder / f"{MASTER}.key_secret", need_secret=True)
    workers = frozenset(_load(path)[0] for path in sorted(folder.glob(f"{WORKER}*.key")))
    if not workers:
        raise ConfigError(
            f"{_SETTING}: no {WORKER}*.key public key in {folder}, so no worker could join ({_HINT})"
        )
    assert secret is not None
    return MasterKeys(public, secret, workers, str(folder))


def load_worker_keys(directory: str | Path) -> WorkerKeys:
    """The workers' keypair and the master's public key from ``directory``."""
    folder = _folder(directory)
    public, secret = _load(folder / f"{WORKER}.key_secret", need_secret=True)
    master, _ = _load(folder / f"{MASTER}.key")
    assert secret is not None
    return WorkerKeys(public, secret, master)


def loose_permissions(path: Path) -> bool:
    """True when a secret key file can be read by anyone beyond its owner and group.

    Group access is allowed: Kubernetes mounts a Secret owned by root and readable by the
    pod's ``fsGroup`` (mode 0440).
    """
    try:
        return bool(path.stat().st_mode & stat.S_IRWXO)
    except OSError:
        return False


def _paths(files: KeyFiles) -> tuple[Path, Path, Path, Path]:
    return (files.master_public, files.master_secret, files.worker_public, files.worker_secret)


def _folder(directory: str | Path) -> Path:
    if not zmq.has("curve"):  # pyzmq's wheels have it; a libzmq built without libsodium may not
        raise ConfigError(f"{_SETTING}: this libzmq ({zmq.zmq_version()}) was built without CURVE")
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(f"{_SETTING}: {folder} is not a directory ({_HINT})")
    return folder


def _load(path: Path, need_secret: bool = False) -> tuple[bytes, bytes | None]:
    """One key file's (public, secret) in z85; a clear ConfigError for anything wrong with it."""
    if not path.is_file():
        raise ConfigError(f"{_SETTING}: {path} not found ({_HINT})")
    try:
        public, secret = load_certificate(str(path))
    except OSError as exc:
        raise ConfigError(f"{_SETTING}: cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{_SETTING}: {path} is not a ZeroMQ CURVE key file") from None
    if need_secret and not secret:
        raise ConfigError(f"{_SETTING}: {path} holds no secret key ({_HINT})")
    if need_secret and loose_permissions(path):
        log.warning("%s can be read by other users; chmod 600 it", path)
    if len(public) != 40 or (secret is not None and len(secret) != 40):
        raise ConfigError(f"{_SETTING}: {path} holds a malformed key (expected 40 z85 characters)")
    return public, secret
