"""Custom command-line options from a tasks file, the way Locust's ``init_command_line_parser`` does.

A tasks file writes::

    @events.init_command_line_parser.add_listener
    def _(parser):
        parser.add_argument("--my-opt", type=int, default=3, env_var="MY_OPT", help="...")

and reads ``environment.parsed_options.my_opt`` in the master and in every worker.

The tasks file is imported after click has parsed the command line (the file's name is one
of the options), so click lets options it does not know through as extra arguments; once
the file is imported, ``apply_custom_options`` fires the event with an ``OptionParser`` and
parses those leftovers with it. What is still unknown is an error, as click would have said.
The values land in ``Config.extra_options`` (``Config`` answers them as attributes), travel to
forked workers inside the Config, and to remote workers in the master's ``Welcome``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from fastswarm.exception import ConfigError

if TYPE_CHECKING:
    from fastswarm.config.settings import Config

# Keywords Locust's parser (configargparse) accepts that plain argparse would reject; they
# are about Locust's web form, which fastswarm's UI does not build from options.
_LOCUST_ONLY = ("include_in_web_ui", "is_secret", "is_required")


class OptionParser(argparse.ArgumentParser):
    """What ``init_command_line_parser`` listeners get: argparse, plus Locust's keywords.

    ``env_var="NAME"`` takes the default from that environment variable when it is set (a
    string, converted by ``type`` as argparse converts string defaults). ``is_multiple=True``
    lets the option be given more than once and collects the values in a list (an env var
    holds them comma-separated). A bad value is a ``ConfigError`` (exit 2), never argparse's
    own ``sys.exit``.
    """

    def __init__(self) -> None:
        super().__init__(prog="fastswarm", add_help=False, allow_abbrev=False)
        # raised by apply_custom_options after the event: an error inside a listener would be logged and lost
        self.env_errors: list[str] = []
        self.secret_dests: list[str] = []  # options marked is_secret: never shown in a report
        self._from_env: set[str] = set()  # dests whose default an environment variable set
        # is_multiple options' lists from the config file: argparse would add the CLI's values
        # to a list default, so they are put in only when the command line gave none
        self._file_lists: dict[str, list[Any]] = {}

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        env_var = kwargs.pop("env_var", None)
        multiple = bool(kwargs.pop("is_multiple", False))
        secret = bool(kwargs.get("is_secret", False))
        for name in _LOCUST_ONLY:
            kwargs.pop(name, None)
        if multiple:
            kwargs.setdefault("action", "append")
        if env_var and env_var in os.environ:
            value = os.environ[env_var]
            kwargs["default"] = self._env_list(value, kwargs.get("type"), env_var) if multiple else value
        action = super().add_argument(*args, **kwargs)
        if secret:
            self.secret_dests.append(action.dest)
        if env_var and env_var in os.environ:
            self._from_env.add(action.dest)
        return action

    def take_file_settings(self, settings: dict[str, Any], source: str) -> None:
        """Make the config file's values of these options their defaults (file < env < CLI).

        A key names an option as in the file (``customer-count`` or ``customer_count``); its
        value is converted and checked as the same word on the command line would be (a
        TOML list for an ``is_multiple`` option, true/false for a flag). A key that names no
        option, or a bad value, is a ConfigError naming the file.
        """
        unknown = sorted(key for key in settings if self._action_for(key) is None)
        if unknown:
            raise ConfigError(f"{source}: unknown setting {', '.join(unknown)}")
        defaults = {}
        for key, value in settings.items():
            action = self._action_for(key)
            assert action is not None
            if action.dest in self._from_env:
                continue
            converted = self._file_value(action, key, value, source)
            if isinstance(action, argparse._AppendAction):
                self._file_lists[action.dest] = converted
            else:
                defaults[action.dest] = converted
        self.set_defaults(**defaults)

    def fill_file_lists(self, parsed: argparse.Namespace) -> None:
        """Give each is_multiple option the config file's list unless the command line gave it."""
        for dest, items in self._file_lists.items():
            if getattr(parsed, dest, None) == self.get_default(dest):
                setattr(parsed, dest, items)

    def _action_for(self, key: str) -> argparse.Action | None:
        for spelling in (key, key.replace("_", "-")):
            action = self._option_string_actions.get(f"--{spelling}")
            if action is not None:
                return action
        return None

    def _file_value(self, action: argparse.Action, key: str, value: Any, source: str) -> Any:
        try:
            if action.nargs == 0:  # a flag: store_true and the like
                if not isinstance(value, bool):
                    raise argparse.ArgumentError(action, f"expects true or false, not {value!r}")
                return action.const if value else action.default
            if isinstance(value, list):
                if not isinstance(action, argparse._AppendAction) and action.nargs not in ("*", "+"):
                    raise argparse.ArgumentError(action, f"takes one value, not a list: {value!r}")
                if isinstance(action, argparse._AppendAction):
                    return [self._get_values(action, [_word(item)]) for item in value]
                return self._get_values(action, [_word(item) for item in value])
            converted = self._get_values(action, [_word(value)])
            return [converted] if isinstance(action, argparse._AppendAction) else converted
        except argparse.ArgumentError as exc:
            raise ConfigError(f"{source}: {key}: {exc.message}") from None

    def _env_list(self, text: str, convert: Any, env_var: str) -> list[Any]:
        """An ``is_multiple`` option's env value: comma-separated, each item converted by ``type``."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        try:
            return [convert(item) for item in items] if convert else items
        except (TypeError, ValueError) as exc:
            self.env_errors.append(f"{env_var}: {text!r}: {exc}")
            return []

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)

    @property
    def has_options(self) -> bool:
        """True once a listener added anything."""
        return bool(self._actions)


def _word(value: Any) -> str:
    """A TOML value as the word it would be on the command line (true -> "true")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


class _Hook(Protocol):
    def fire(self, **kwargs: Any) -> None: ...


class ParserEvents(Protocol):
    """The one event this module fires (``user.event.Events`` has it; the events live above ``config/``)."""

    @property
    def init_command_line_parser(self) -> _Hook: ...


def apply_custom_options(config: Config, events: ParserEvents) -> Config:
    """Fire ``init_command_line_parser`` and parse the arguments click left over.

    Leftover words that are not options stay as User class names; an unknown ``--x`` is a
    ConfigError naming it.
    """
    parser = OptionParser()
    events.init_command_line_parser.fire(parser=parser)
    if parser.env_errors:
        raise ConfigError(parser.env_errors[0])
    if config.file_options:
        parser.take_file_settings(config.file_options, config.config_file or "the config file")
    tokens = list(config.user_class_names)
    if not parser.has_options and not any(t.startswith("-") for t in tokens):
        return config
    parsed, rest = parser.parse_known_args(tokens)
    parser.fill_file_lists(parsed)
    unknown = [t for t in rest if t.startswith("-") and len(t) > 1]
    if unknown:
        raise ConfigError(f"No such option: {unknown[0]}")
    extra = {**config.extra_options, **vars(parsed)}
    secret = tuple(sorted({*config.secret_options, *parser.secret_dests}))
    return dataclasses.replace(
        config, user_class_names=tuple(rest), extra_options=extra, secret_options=secret
    )


def shareable_options(config: Config) -> dict[str, Any]:
    """The custom option values a master sends its workers (those that cross the wire as they are)."""
    extra = config.extra_options
    plain = (str, int, float, bool, type(None))
    return {
        k: v
        for k, v in extra.items()
        if isinstance(v, plain) or (isinstance(v, list) and all(isinstance(i, plain) for i in v))
    }


def merge_remote_options(config: Config, options: dict[str, Any] | None) -> Config:
    """A remote worker takes the master's custom option values (as Locust's workers do)."""
    if not options:
        return config
    return dataclasses.replace(config, extra_options={**config.extra_options, **options})
