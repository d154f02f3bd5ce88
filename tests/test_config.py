"""Settings layering (file < environment < command line) and value parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastswarm.cli.main import _default_map, build_config, command
from fastswarm.config.settings import Config, parse_duration, parse_processes, parse_rate, usable_cores
from fastswarm.exceptions import ConfigError


def _config(args: list[str]) -> Config:
    default_map, path = _default_map(args)
    ctx = command.make_context("fastswarm", args, default_map=default_map)
    ctx.meta["fastswarm.config_path"] = path
    return build_config(ctx, ctx.params)


def test_command_line_beats_environment_beats_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fastswarm.toml").write_text('users = 2\nspawn-rate = 7\nrun-time = "5m"\n')
    assert (_config([]).users, _config([]).spawn_rate, _config([]).run_time) == (2, 7.0, 300.0)
    monkeypatch.setenv("FASTSWARM_USERS", "3")
    assert _config([]).users == 3
    assert _config(["-u", "4"]).users == 4
    assert _config(["-u", "4"]).spawn_rate == 7.0


def test_pyproject_section_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fastswarm]\nhost = "http://127.0.0.1:9"\nheadless = true\n'
    )
    config = _config([])
    assert config.host == "http://127.0.0.1:9" and config.headless


def test_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "load.toml").write_text("users = 9\n")
    assert _config(["--config", "load.toml"]).users == 9


@pytest.mark.parametrize(
    ("text", "seconds"), [("30", 30.0), ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("250ms", 0.25)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "5x", "1h30", "-3"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_parse_processes_and_rate() -> None:
    assert parse_processes("auto") == usable_cores()
    assert parse_processes("3") == 3
    assert parse_rate("200") == (200.0, 200.0)
    assert parse_rate("100:2000") == (100.0, 2000.0)
    with pytest.raises(ConfigError):
        parse_rate("0")


def test_config_checks_values_when_built() -> None:
    with pytest.raises(ConfigError, match="--users"):
        Config(users=-1)
    with pytest.raises(ConfigError, match="--master and --worker"):
        Config(master=True, worker=True)


def test_protocol_options_from_file_environment_and_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (_config([]).max_message_size, _config([]).allow_mismatch) == (64 << 20, False)
    (tmp_path / "fastswarm.toml").write_text("max-message-size = 2000000\nallow-mismatch = true\n")
    assert (_config([]).max_message_size, _config([]).allow_mismatch) == (2_000_000, True)
    monkeypatch.setenv("FASTSWARM_MAX_MESSAGE_SIZE", "3000000")
    assert _config([]).max_message_size == 3_000_000
    assert _config(["--max-message-size", "4000000"]).max_message_size == 4_000_000
    monkeypatch.setenv("FASTSWARM_MAX_MESSAGE_SIZE", "100")
    source = r"--max-message-size \(from FASTSWARM_MAX_MESSAGE_SIZE\): must be at least"
    with pytest.raises(ConfigError, match=source):
        _config([])


@pytest.mark.parametrize("host", ["http://[::1", "http://h:99999", "ftp://h", "http://h/?q=1", "http:// x"])
def test_a_host_the_workers_could_not_use_is_refused_when_the_config_is_built(host: str) -> None:
    with pytest.raises(ConfigError, match="^--host: "):
        Config(host=host)
