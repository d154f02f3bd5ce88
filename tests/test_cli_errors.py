"""Bad input gets one line on stderr and the right exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_fastswarm


def _one_line_error(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("fastswarm: error: ")
    return lines[0]


def test_missing_tasks_file(tmp_path: Path) -> None:
    line = _one_line_error(run_fastswarm("-f", "nope.py", "--headless", cwd=tmp_path), 2)
    assert "tasks file not found: nope.py" in line


def test_no_default_tasks_file(tmp_path: Path) -> None:
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert "tasks.py" in line and "locustfile.py" in line


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("from fastswarm import User\n\nclass A(User):\n    def x(self)\n")
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert "tasks.py:4" in line and "SyntaxError" in line


def test_import_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("import os\nvalue = undefined_name + 1\n")
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert "tasks.py:2" in line and "NameError" in line


def test_no_user_class(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("from fastswarm import HttpUser\nX = 1\n")
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert "no User class" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-u", "abc"], "'abc' is not a valid integer"),
        (["-t", "ten"], "--run-time"),
        (["--processes", "zero"], "--processes"),
        (["-r", "0"], "--spawn-rate"),
        (["-H", "localhost:80"], "--host"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_option_values(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "tasks.py").write_text(
        "from fastswarm import User, task\nclass A(User):\n    @task\n    def t(self): pass\n"
    )
    line = _one_line_error(run_fastswarm("--headless", *args, cwd=tmp_path), 2)
    assert needle in line


def test_bad_value_from_environment_names_the_variable(tmp_path: Path) -> None:
    result = run_fastswarm("--headless", cwd=tmp_path, env={"FASTSWARM_RUN_TIME": "soon"})
    line = _one_line_error(result, 2)
    assert "FASTSWARM_RUN_TIME" in line


def test_bad_value_from_config_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "fastswarm.toml").write_text('run-time = "soon"\n')
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert "fastswarm.toml" in line


_WITH_OPTION = """\
from fastswarm import User, events, task


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--customer-count", type=int, default=1)
    parser.add_argument("--fast", action="store_true")


class A(User):
    @task
    def t(self):
        pass
"""


def test_unknown_setting_in_config_file(tmp_path: Path) -> None:
    """Judged once the tasks file is imported: a key may be one of its own options."""
    (tmp_path / "tasks.py").write_text(_WITH_OPTION)
    (tmp_path / "fastswarm.toml").write_text("userz = 3\ncustomer-count = 2\n")
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert line == "fastswarm: error: fastswarm.toml: unknown setting userz"


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ('customer-count = "many"', "fastswarm.toml: customer-count: invalid int value: 'many'"),
        ("customer-count = 2.5", "fastswarm.toml: customer-count: invalid int value: '2.5'"),
        ("customer-count = [1, 2]", "fastswarm.toml: customer-count: takes one value, not a list"),
        ('fast = "yes"', "fastswarm.toml: fast: expects true or false, not 'yes'"),
    ],
)
def test_bad_custom_option_in_config_file(tmp_path: Path, setting: str, needle: str) -> None:
    (tmp_path / "tasks.py").write_text(_WITH_OPTION)
    (tmp_path / "fastswarm.toml").write_text(setting + "\n")
    line = _one_line_error(run_fastswarm("--headless", cwd=tmp_path), 2)
    assert needle in line


def test_version() -> None:
    result = run_fastswarm("--version")
    assert result.returncode == 0
    assert "fastswarm" in result.stdout
