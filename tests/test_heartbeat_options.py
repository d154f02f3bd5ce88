"""--heartbeat-interval, --heartbeat-timeout and --master-timeout: from the config file,
FASTSWARM_* and the command line (in that order of precedence), and one line naming the
source for a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fastswarm.cli.main import _default_map, build_config, command
from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from tests.conftest import ROOT


def _config(args: list[str]) -> Config:
    default_map, path = _default_map(args)
    ctx = command.make_context("fastswarm", args, default_map=default_map)
    ctx.meta["fastswarm.config_path"] = path
    return build_config(ctx, ctx.params)


def _beats(config: Config) -> tuple[float, float, float]:
    return config.heartbeat_interval, config.heartbeat_timeout, config.master_timeout


def test_file_then_environment_then_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _beats(_config([])) == (1.0, 10.0, 10.0)
    (tmp_path / "fastswarm.toml").write_text(
        'heartbeat-interval = "500ms"\nheartbeat-timeout = 4\nmaster-timeout = "1m"\n'
    )
    assert _beats(_config([])) == (0.5, 4.0, 60.0)
    monkeypatch.setenv("FASTSWARM_HEARTBEAT_TIMEOUT", "6s")
    monkeypatch.setenv("FASTSWARM_MASTER_TIMEOUT", "30")
    assert _beats(_config([])) == (0.5, 6.0, 30.0)
    args = ["--heartbeat-interval", "0.2", "--heartbeat-timeout", "2", "--master-timeout", "3s"]
    assert _beats(_config(args)) == (0.2, 2.0, 3.0)


def test_bad_values_name_their_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTSWARM_HEARTBEAT_TIMEOUT", "1")
    named = r"--heartbeat-timeout \(from FASTSWARM_HEARTBEAT_TIMEOUT\): must be longer"
    with pytest.raises(ConfigError, match=named):
        _config(["--heartbeat-interval", "2"])
    monkeypatch.delenv("FASTSWARM_HEARTBEAT_TIMEOUT")
    (tmp_path / "fastswarm.toml").write_text("master-timeout = 0\n")
    named = r"--master-timeout \(from fastswarm.toml\): must be greater than 0"
    with pytest.raises(ConfigError, match=named):
        _config([])
    with pytest.raises(ConfigError, match="--heartbeat-interval: .* is not a duration"):
        _config(["--heartbeat-interval", "often", "--master-timeout", "5"])


def test_a_bad_value_on_the_command_line_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("from fastswarm import User\n")
    done = subprocess.run(
        [sys.executable, "-m", "fastswarm", "--heartbeat-interval", "5", "--heartbeat-timeout", "5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "fastswarm: error: --heartbeat-timeout: must be longer than --heartbeat-interval (5 s)"
    )
