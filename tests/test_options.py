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


def _file_config(settings: dict[str, object], *words: str) -> Config:
    return Config(user_class_names=words, file_options=settings, config_file="fastswarm.toml")


def test_config_file_values_rank_below_env_vars_and_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    events = Events()

    @events.init_command_line_parser.add_listener
    def _(parser: OptionParser) -> None:
        parser.add_argument("--count", type=int, default=1, env_var="COUNT")
        parser.add_argument("--region", default="eu")
        parser.add_argument("--fast", action="store_true")

    from_file = apply_custom_options(_file_config({"count": 7, "region": "ap", "fast": True}), events)
    assert (from_file.count, from_file.region, from_file.fast) == (7, "ap", True)  # type: ignore[attr-defined]
    monkeypatch.setenv("COUNT", "4")
    ranked = apply_custom_options(_file_config({"count": 7, "region": "ap"}, "--region", "us"), events)
    assert (ranked.count, ranked.region, ranked.fast) == (4, "us", False)  # type: ignore[attr-defined]


def test_an_is_multiple_option_takes_a_toml_list_unless_the_command_line_gives_one() -> None:
    settings = {"tag_name": [80, 443]}
    config = apply_custom_options(_file_config(settings), _events(type=int))
    assert config.tag_name == [80, 443]  # type: ignore[attr-defined]
    config = apply_custom_options(_file_config(settings, "--tag-name", "8080"), _events(type=int))
    assert config.tag_name == [8080]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"^fastswarm.toml: tag_name: invalid int value: 'https'$"):
        apply_custom_options(_file_config({"tag_name": [80, "https"]}), _events(type=int))


def test_a_config_file_setting_no_option_takes_is_an_error_naming_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^fastswarm.toml: unknown setting tag_nam$"):
        apply_custom_options(_file_config({"tag_nam": ["a"]}), _events())
    with pytest.raises(ConfigError, match=r"^fastswarm.toml: unknown setting extra$"):
        apply_custom_options(_file_config({"extra": 1}), Events())  # a file with no options at all


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
