"""CURVE on tcp://: keys from ``fastswarm keygen``, a master that admits only the right worker key.

Real processes on 127.0.0.1: a master, workers with right, wrong and no keys, a raw pyzmq
client, and a TCP relay that keeps the bytes on the wire, to see whether they are readable.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zmq
from zmq.auth.certs import load_certificate

from fastswarm.config.settings import Config, is_loopback_host
from fastswarm.exception import ConfigError
from fastswarm.ipc import keys as keys_module
from fastswarm.ipc import wire
from fastswarm.ipc.admission import Fingerprint
from fastswarm.ipc.keys import generate, load_master_keys, load_worker_keys
from fastswarm.ipc.messages import PROTOCOL_VERSION, Hello, Welcome
from tests.conftest import ROOT, Target, run_fastswarm

TASKS = """
from fastswarm import HttpUser, task, constant

class Quick(HttpUser):
    wait_time = constant(0.02)

    @task
    def home(self):
        self.client.get("/")
"""
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    """Whether a TCP socket listens on ``port``, read from /proc: connecting to find out would
    itself be a failed handshake in the master's log."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def _wait_listening(port: int, deadline_s: float = 30.0) -> None:
    """Until the master has bound ``port``, bounded in time."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if _listening(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on port {port} within {deadline_s} s")


def _start_master(cwd: Path, target: Target, port: int, *extra: str) -> subprocess.Popen[str]:
    (cwd / "tasks.py").write_text(TASKS)
    return subprocess.Popen(
        [sys.executable, "-m", "fastswarm", "-f", "tasks.py", "-H", target.url, "--master"]
        + ["--master-port", str(port), "--headless", "--no-web", "-u", "4", "-r", "50", "-t", "2s"]
        + ["--stop-timeout", "5"]
        + ["--expect-workers", "1", "--expect-workers-max-wait", "60", "--json", "report.json", *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _finish(master: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    """The master's exit code and stderr; killed (and failed) if it outlives ``timeout``."""
    try:
        _, err = master.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        master.kill()
        _, err = master.communicate()
        raise AssertionError(f"the master did not finish within {timeout} s: {err}") from None
    return master.returncode, err


def _worker(cwd: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_fastswarm(
        "-f", "tasks.py", "--worker", "--master-port", str(port), *extra, cwd=cwd, timeout=90
    )


class Relay:
    """A TCP relay on 127.0.0.1 that keeps every byte it forwards, to read what is on the wire."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.seen = bytearray()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            except OSError:  # the master is not listening yet: the worker's ZeroMQ will retry
                client.close()
                continue
            upstream.settimeout(None)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    self.seen += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    generate(folder)
    return folder


def _wrong_worker_keys(tmp_path: Path, keys: Path) -> tuple[Path, bytes]:
    """A worker folder with the right master.key but another keypair; its public key."""
    other = tmp_path / "other"
    generate(other)
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "master.key").write_bytes((keys / "master.key").read_bytes())
    (wrong / "worker.key_secret").write_bytes((other / "worker.key_secret").read_bytes())
    return wrong, load_certificate(str(wrong / "worker.key_secret"))[0]


def _raw_hello_answer(port: int, wait_s: float, tasks: Path | None = None) -> object | None:
    """A raw pyzmq DEALER without keys says Hello; what comes back within ``wait_s``, if anything.

    With ``tasks`` the Hello carries that file's fingerprint, as a real worker's would.
    """
    fingerprint = Fingerprint.of_tasks_file(tasks) if tasks else Fingerprint("")
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.linger = 0
    try:
        dealer.connect(f"tcp://127.0.0.1:{port}")
        sha, version = fingerprint.tasks_sha256, fingerprint.version
        hello = Hello(PROTOCOL_VERSION, os.getpid(), "intruder", sha, version)
        dealer.send_multipart(wire.encode(hello))
        if not dealer.poll(int(wait_s * 1000)):
            return None
        return wire.decode(dealer.recv_multipart())
    finally:
        dealer.close()
        context.term()


# -- keygen and key files --


def test_keygen_writes_two_keypairs_with_owner_only_secrets(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    result = run_fastswarm("keygen", str(folder))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("master", "worker"):
        public, secret = folder / f"{name}.key", folder / f"{name}.key_secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert stat.S_IMODE(public.stat().st_mode) == 0o644
        assert load_certificate(str(secret))[1] is not None
        assert load_certificate(str(public)) == (load_certificate(str(secret))[0], None)
        assert str(secret) in result.stdout
    assert not [p for p in folder.iterdir() if p.name.startswith(".keygen")]
    before = (folder / "master.key").read_bytes()
    again = run_fastswarm("keygen", str(folder))
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "--force" in again.stderr
    assert run_fastswarm("keygen", str(folder), "--force").returncode == 0
    assert (folder / "master.key").read_bytes() != before


def test_loaded_keys_pair_up(keys: Path) -> None:
    master, worker = load_master_keys(keys), load_worker_keys(keys)
    assert worker.master == master.public
    assert master.workers == frozenset({worker.public})
    (keys / "worker-b.key").write_bytes((keys / "master.key").read_bytes())  # a second admitted key
    assert len(load_master_keys(keys).workers) == 2


@pytest.mark.parametrize(
    ("remove", "write", "loader", "words"),
    [
        ("master.key_secret", None, load_master_keys, "master.key_secret not found"),
        ("worker.key", None, load_master_keys, "no worker*.key public key"),
        ("master.key", None, load_worker_keys, "master.key not found"),
        (None, ("worker.key_secret", b"not a key\n"), load_worker_keys, "is not a ZeroMQ CURVE key file"),
        (
            None,
            ("worker.key_secret", b"\xff\xfe\x00junk"),
            load_worker_keys,
            "is not a ZeroMQ CURVE key file",
        ),
    ],
)
def test_bad_key_files_are_one_config_error(
    keys: Path, remove: str | None, write: tuple[str, bytes] | None, loader: object, words: str
) -> None:
    if remove:
        (keys / remove).unlink()
    if write:
        (keys / write[0]).write_bytes(write[1])
    with pytest.raises(ConfigError, match="--curve-dir") as caught:
        loader(keys)  # type: ignore[operator]
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_public_key_where_a_secret_belongs_is_named(keys: Path) -> None:
    (keys / "worker.key_secret").write_bytes((keys / "worker.key").read_bytes())
    with pytest.raises(ConfigError, match="holds no secret key"):
        load_worker_keys(keys)


def test_a_libzmq_without_curve_is_one_line(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_module.zmq, "has", lambda capability: capability != "curve")
    with pytest.raises(ConfigError, match=r"--curve-dir: this libzmq \(.*\) was built without CURVE"):
        load_worker_keys(keys)


def test_an_unreadable_key_file_is_one_line(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root every file is readable, so the refusal is simulated where open() would raise it.
    def denied(path: str) -> tuple[bytes, bytes | None]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(keys_module, "load_certificate", denied)
    with pytest.raises(ConfigError, match=r"cannot read .*master.key_secret: Permission denied"):
        load_master_keys(keys)


def test_key_errors_on_the_command_line_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    (tmp_path / "empty").mkdir()
    for role in (["--master"], ["--worker", "--processes", "2"]):
        result = run_fastswarm("-f", "tasks.py", *role, "--curve-dir", "empty", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("fastswarm: error: --curve-dir: ")
        assert "fastswarm keygen" in result.stderr


def test_curve_dir_comes_from_the_environment_and_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    (tmp_path / "from-env").mkdir()
    (tmp_path / "from-file").mkdir()
    env = {"FASTSWARM_CURVE_DIR": "from-env"}
    result = run_fastswarm("-f", "tasks.py", "--master", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "from-env/master.key_secret not found" in result.stderr
    (tmp_path / "fastswarm.toml").write_text('curve_dir = "from-file"\n')
    result = run_fastswarm("-f", "tasks.py", "--master", cwd=tmp_path)
    assert result.returncode == 2 and "from-file/master.key_secret not found" in result.stderr


# -- where the master may bind --


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("lo", True),
        ("*", False),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("::", False),
        ("eth0", False),
        ("master.example", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_the_default_bind_is_loopback_and_others_need_keys_or_insecure() -> None:
    assert Config().master_bind_host == "127.0.0.1"
    Config(master=True)
    with pytest.raises(
        ConfigError, match="--master-bind-host: '0.0.0.0' .*--curve-dir DIR, or pass --insecure"
    ):
        Config(master=True, master_bind_host="0.0.0.0")
    Config(master=True, master_bind_host="0.0.0.0", curve_dir="keys")
    Config(master=True, master_bind_host="0.0.0.0", insecure=True)
    Config(worker=True, master_bind_host="0.0.0.0")  # a worker binds nothing


def test_non_loopback_bind_without_keys_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm("-f", "tasks.py", "--master", "--master-bind-host", "0.0.0.0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "--master-bind-host: '0.0.0.0' is reachable from other hosts" in result.stderr
    from_env = run_fastswarm(
        "-f", "tasks.py", "--master", cwd=tmp_path, env={"FASTSWARM_MASTER_BIND_HOST": "*"}
    )
    assert from_env.returncode == 2
    assert "--master-bind-host (from FASTSWARM_MASTER_BIND_HOST): '*'" in from_env.stderr


def test_insecure_starts_with_one_loud_warning(tmp_path: Path, target: Target) -> None:
    target.reset()
    port = _free_port()
    master = _start_master(tmp_path, target, port, "--master-bind-host", "0.0.0.0", "--insecure")
    worker = _worker(tmp_path, port)  # over 127.0.0.1: the test sends nothing beyond loopback
    code, err = _finish(master)
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    warnings = [line for line in err.splitlines() if "--insecure" in line]
    assert len(warnings) == 1 and "admits ANY worker, unencrypted" in warnings[0]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["totals"]["requests"] == target.served() > 0


# -- who gets in --


def test_right_key_runs_and_the_wire_is_encrypted(tmp_path: Path, target: Target, keys: Path) -> None:
    target.reset()
    port = _free_port()
    master = _start_master(tmp_path, target, port, "--curve-dir", str(keys), "--expect-workers", "2")
    _wait_listening(port)
    relay = Relay(port)
    try:
        worker = _worker(tmp_path, relay.port, "--processes", "2", "--curve-dir", str(keys))
        code, err = _finish(master)
    finally:
        relay.close()
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["processes"] == 2
    assert report["totals"]["requests"] == target.served() > 0
    assert "refused" not in err
    # Spawn carries the target URL and StatsReport the endpoint; with CURVE neither is readable.
    assert len(relay.seen) > 1000
    assert target.url.encode() not in relay.seen and b"Quick" not in relay.seen


def test_without_keys_the_wire_is_clear_and_a_keyed_worker_is_turned_away(
    tmp_path: Path, target: Target, keys: Path
) -> None:
    """The control for the test above: the same relay reads the target URL when there are no keys."""
    target.reset()
    port = _free_port()
    master = _start_master(tmp_path, target, port)
    _wait_listening(port)
    relay = Relay(port)
    try:
        keyed = _worker(tmp_path, port, "--curve-dir", str(keys), "--expect-workers-max-wait", "30")
        worker = _worker(tmp_path, relay.port)
        code, err = _finish(master)
    finally:
        relay.close()
    assert keyed.returncode == 1
    # Refused early (not by the 30 s wait), as the mismatch or as a master that keeps hanging
    # up, depending on which side noticed the mismatch first; both name the cause.
    assert "the master has no CURVE keys (it runs without --curve-dir)" in keyed.stderr or (
        "failed handshakes in a row" in keyed.stderr and "running without --curve-dir" in keyed.stderr
    ), keyed.stderr
    # The master logs the failure; whether as the mismatch or as a cut-off handshake depends on
    # which side hung up first.
    assert "a connection failed the handshake (peer address not known here)" in err
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    assert target.url.encode() in relay.seen


def test_wrong_key_is_refused_at_zap_and_logged_with_the_peer_address(
    tmp_path: Path, target: Target, keys: Path
) -> None:
    target.reset()
    wrong, wrong_public = _wrong_worker_keys(tmp_path, keys)
    port = _free_port()
    master = _start_master(tmp_path, target, port, "--curve-dir", str(keys))
    # A long wait: the refusal, not a timeout, must end this worker.
    refused = _worker(tmp_path, port, "--curve-dir", str(wrong), "--expect-workers-max-wait", "60")
    wrong_master = tmp_path / "wrong-master"
    wrong_master.mkdir()
    (wrong_master / "master.key").write_bytes((tmp_path / "other" / "master.key").read_bytes())
    (wrong_master / "worker.key_secret").write_bytes((keys / "worker.key_secret").read_bytes())
    misled = _worker(tmp_path, port, "--curve-dir", str(wrong_master), "--expect-workers-max-wait", "60")
    worker = _worker(tmp_path, port, "--curve-dir", str(keys))
    code, err = _finish(master)
    assert refused.returncode == 1
    assert "the master's CURVE gate refused this worker's key (ZAP status 400)" in refused.stderr
    assert misled.returncode == 1
    assert "failed handshakes in a row" in misled.stderr, misled.stderr  # not the 60 s wait
    assert "does not hold this master's public key" in err
    refusals = [line for line in err.splitlines() if "refused a worker from 127.0.0.1" in line]
    assert refusals and wrong_public.decode() in refusals[0], err
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["processes"] == 1  # the refused worker took no slot
    assert report["totals"]["requests"] == target.served() > 0


def test_no_key_worker_and_raw_client_get_nothing(tmp_path: Path, target: Target, keys: Path) -> None:
    target.reset()
    port = _free_port()
    master = _start_master(tmp_path, target, port, "--curve-dir", str(keys))
    try:
        _wait_listening(port)
        answer = _raw_hello_answer(port, wait_s=3.0)
        bare = _worker(tmp_path, port, "--expect-workers-max-wait", "60")
        worker = _worker(tmp_path, port, "--curve-dir", str(keys))
    except BaseException:
        master.kill()
        raise
    code, err = _finish(master)
    assert answer is None
    assert bare.returncode == 1
    assert "the master requires CURVE keys (give this worker --curve-dir)" in bare.stderr or (
        "failed handshakes in a row" in bare.stderr and "give this worker --curve-dir" in bare.stderr
    ), bare.stderr
    assert "a connection failed the handshake (peer address not known here)" in err
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["totals"]["requests"] == target.served() > 0


def test_control_a_raw_client_is_welcomed_by_a_master_without_keys(tmp_path: Path, target: Target) -> None:
    """Shows the probe above can see a Welcome: without keys, anyone who connects gets one."""
    port = _free_port()
    master = _start_master(tmp_path, target, port)
    try:
        _wait_listening(port)
        answer = _raw_hello_answer(port, wait_s=10.0, tasks=tmp_path / "tasks.py")
    finally:
        master.kill()
        master.communicate(timeout=30)
    assert isinstance(answer, Welcome)
