"""Custom options with Locust's extra keywords: is_multiple, is_secret, include_in_web_ui."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastswarm.config.options import OptionParser, apply_custom_options, shareable_options
from fastswarm.config.settings import Config
from fastswarm.exception import ConfigError
from fastswarm.user.event import Events


def _events(**kwargs: object) -> Events:
    events = Events()

    @events.init_command_line_parser.add_listener
    def _(parser: OptionParser) -> None:
        parser.add_argument("--tag-name", is_multiple=True, is_secret=False, include_in_web_ui=True, **kwargs)
        parser.add_argument("--token", is_secret=True, is_required=False, default="")

    return events


def test_is_multiple_collects_every_value_in_order() -> None:
    config = apply_custom_options(
        Config(user_class_names=("--tag-name", "a", "Shopper", "--tag-name=b")), _events()
    )
    assert config.tag_name == ["a", "b"]  # type: ignore[attr-defined]
    assert config.user_class_names == ("Shopper",)
    assert shareable_options(config)["tag_name"] == ["a", "b"]


def test_is_multiple_from_an_env_var_is_comma_separated_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTS", "80, 443")
    config = apply_custom_options(Config(), _events(type=int, env_var="PORTS"))
    assert config.tag_name == [80, 443]  # type: ignore[attr-defined]
    monkeypatch.setenv("PORTS", "80,https")
    with pytest.raises(ConfigError, match="PORTS"):
        apply_custom_options(Config(), _events(type=int, env_var="PORTS"))


def test_an_option_given_once_without_is_multiple_keeps_the_last_value() -> None:
    events = Events()
    events.init_command_line_parser.add_listener(lambda parser: parser.add_argument("--one"))
    config = apply_custom_options(Config(user_class_names=("--one", "a", "--one", "b")), events)
    assert config.one == "b"  # type: ignore[attr-defined]


def test_setup_logging_at_locusts_path_writes_the_log_file(tmp_path: Path) -> None:
    import logging

    from fastswarm.log import setup_logging

    log = tmp_path / "run.log"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("debug", str(log))
        logging.getLogger("tasks").debug("hello from a tasks file")
        assert "DEBUG tasks: hello from a tasks file" in log.read_text()
        with pytest.raises(ValueError, match="unknown log level"):
            setup_logging("chatty")
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:], root.level = saved[0], saved[1]
