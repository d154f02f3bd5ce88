"""The name cap end to end: a real run against the built-in target hitting more distinct URLs
than ``--max-names``, with two forked workers, and the setting's sources and checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastswarm.cli.main import _default_map, build_config, command
from fastswarm.config.settings import Config
from fastswarm.exceptions import ConfigError
from tests.conftest import Target, run_fastswarm

TASKS = """
from fastswarm import HttpUser, task, constant

class Distinct(HttpUser):
    wait_time = constant(0.005)

    def on_start(self):
        self.n = 0

    @task
    def item(self):
        self.n += 1
        self.client.get(f"/anything/{self.user_id}-{self.n}")  # a new name every time, no name=
"""


def test_names_past_the_cap_go_to_other_with_one_warning(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    target.reset()
    result = run_fastswarm(
        "-H", target.url, "--headless", "-u", "4", "-r", "100", "-t", "3s", "--processes", "2",
        "--stop-timeout", "5", "--max-names", "25", "--json", "report.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    rows = {(e["method"], e["name"]): e["requests"] for e in report["endpoints"]}
    named = {k: v for k, v in rows.items() if k[1] != "(other)"}
    assert len(named) == 25  # the master's cap (each worker kept 25 of its own too)
    assert rows[("GET", "(other)")] > 100  # every later name, from both workers
    served = target.served()
    assert report["totals"]["requests"] == sum(rows.values()) == served  # nothing lost
    assert report["totals"]["failures"] == 0
    worker_lines = [ln for ln in result.stderr.splitlines() if "fastswarm.stats.recorder" in ln]
    master_lines = [ln for ln in result.stderr.splitlines() if "fastswarm.stats.aggregator" in ln]
    assert len(worker_lines) == 2  # one from each worker, once
    assert len(master_lines) == 1
    assert "more than 25 distinct request names" in master_lines[0] and "name=" in master_lines[0]


def _config(args: list[str]) -> Config:
    default_map, path = _default_map(args)
    ctx = command.make_context("fastswarm", args, default_map=default_map)
    ctx.meta["fastswarm.config_path"] = path
    return build_config(ctx, ctx.params)


def test_max_names_from_file_environment_and_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _config([]).max_names == 2000
    (tmp_path / "fastswarm.toml").write_text("max-names = 300\n")
    assert _config([]).max_names == 300
    monkeypatch.setenv("FASTSWARM_MAX_NAMES", "400")
    assert _config([]).max_names == 400
    assert _config(["--max-names", "500"]).max_names == 500
    monkeypatch.setenv("FASTSWARM_MAX_NAMES", "0")
    with pytest.raises(ConfigError, match=r"--max-names \(from FASTSWARM_MAX_NAMES\): must be at least 1"):
        _config([])


def test_bad_max_names_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    result = run_fastswarm("-H", "http://127.0.0.1:9", "--headless", "--max-names", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "fastswarm: error: --max-names: must be at least 1"
