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

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:  # type: ignore[override]
        env_var = kwargs.pop("env_var", None)
        multiple = bool(kwargs.pop("is_multiple", False))
        for name in _LOCUST_ONLY:
            kwargs.pop(name, None)
        if multiple:
            kwargs.setdefault("action", "append")
        if env_var and env_var in os.environ:
            value = os.environ[env_var]
            kwargs["default"] = self._env_list(value, kwargs.get("type"), env_var) if multiple else value
        return super().add_argument(*args, **kwargs)

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
    tokens = list(config.user_class_names)
    if not parser.has_options and not any(t.startswith("-") for t in tokens):
        return config
    parsed, rest = parser.parse_known_args(tokens)
    unknown = [t for t in rest if t.startswith("-") and len(t) > 1]
    if unknown:
        raise ConfigError(f"No such option: {unknown[0]}")
    extra = {**config.extra_options, **vars(parsed)}
    return dataclasses.replace(config, user_class_names=tuple(rest), extra_options=extra)


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
