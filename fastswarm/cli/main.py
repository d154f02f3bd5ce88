"""The ``fastswarm`` command: options → Config → run. The only place that prints errors and exits."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

import fastswarm.cli.interrupts as interrupts
from fastswarm import __version__
from fastswarm.cli.capacity_options import capacity_options, capacity_settings
from fastswarm.cli.distributed_options import distributed_options, distributed_settings
from fastswarm.cli.heartbeat_options import heartbeat_options, heartbeat_settings
from fastswarm.cli.option_groups import split_words
from fastswarm.cli.otel_options import otel_options, otel_settings
from fastswarm.cli.web_options import web_options, web_settings
from fastswarm.config.log import setup_logging
from fastswarm.config.settings import Config, find_config_file, parse_duration, parse_processes, parse_rate
from fastswarm.engine.gevent_patch import patch_gevent
from fastswarm.exception import ConfigError, FastswarmError

ENV_PREFIX = "FASTSWARM"


@click.command(
    # Unknown options pass through as arguments: a tasks file may declare them
    # (init_command_line_parser), and it is imported only after this parse (options.py).
    context_settings={
        "help_option_names": ["-h", "--help"],
        "auto_envvar_prefix": ENV_PREFIX,
        "ignore_unknown_options": True,
    },
    epilog="Settings also come from fastswarm.toml or [tool.fastswarm] in pyproject.toml, and from "
    "FASTSWARM_<OPTION> variables (command line > environment > file). "
    "Subcommands: fastswarm target, fastswarm compare, fastswarm keygen.",
)
@click.argument("user_classes", nargs=-1)
@click.option(
    "-f",
    "--locustfile",
    default=None,
    metavar="FILE",
    help="Tasks file to run (default: tasks.py, then locustfile.py).",
)
@click.option(
    "-H", "--host", default=None, help="Base URL of the system under test, e.g. http://127.0.0.1:8080."
)
@click.option(
    "-u", "--users", type=int, default=1, show_default=True, help="Peak number of concurrent users."
)
@click.option(
    "-r", "--spawn-rate", type=float, default=1.0, show_default=True, help="Users started per second."
)
@click.option("-t", "--run-time", default=None, help="Stop after this long (30s, 5m, 1h30m).")
@click.option("--headless", is_flag=True, help="Start at once, without waiting for the web UI.")
@click.option(
    "--processes", default="1", show_default=True, help="Worker processes: a number or 'auto' (one per core)."
)
@click.option("--force", is_flag=True, help="Start more than 4 worker processes per usable core anyway.")
@click.option(
    "--stop-timeout",
    default="0",
    show_default=True,
    help="Seconds users may take to finish their current task when stopping.",
)
@click.option(
    "--report-interval", default="1", show_default=True, help="Seconds between workers' stats reports."
)
@click.option("--json", "json_path", default=None, metavar="FILE", help="Write the final report as JSON.")
@click.option(
    "--csv",
    "csv_prefix",
    default=None,
    metavar="PREFIX",
    help="Write PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv.",
)
@click.option(
    "--exit-code-on-error", type=int, default=1, show_default=True, help="Exit code when any request failed."
)
@click.option(
    "-L",
    "--loglevel",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], case_sensitive=False),
)
@click.option("-T", "--tags", multiple=True, help="Run only tasks with these tags (repeatable).")
@click.option("-E", "--exclude-tags", multiple=True, help="Skip tasks with these tags (repeatable).")
@click.option(
    "-l", "--list", "list_users", is_flag=True, help="List the User classes and their tasks, then exit."
)
@distributed_options
@web_options
@click.option("--html", "html_path", default=None, metavar="FILE", help="Write a self-contained HTML report.")
@click.option(
    "--hdr-log", "hdr_log_path", default=None, metavar="FILE", help="Write an HdrHistogram interval log."
)
@click.option(
    "--max-names",
    type=int,
    default=2000,
    show_default=True,
    help="Most distinct (method, name) rows in the statistics; requests to later names are "
    "counted in one '(other)' row per method. Group URLs with name= rather than raising it.",
)
@click.option(
    "--rate",
    default=None,
    metavar="R[:R2]",
    help="Open model: task iterations per second across all workers; R:R2 ramps with --ramp.",
)
@click.option(
    "--arrival",
    type=click.Choice(["uniform", "poisson"]),
    default="uniform",
    show_default=True,
    help="Open model: how arrivals are spaced.",
)
@click.option("--ramp", default=None, help="Open model: time to go from R to R2 (e.g. 60s).")
@click.option(
    "--max-users",
    type=int,
    default=1000,
    show_default=True,
    help="Open model: the most users the pool may hold (across all workers).",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="EXPR",
    help="Pass/fail threshold, e.g. 'p99<250ms', 'fail_ratio<0.01' (repeatable).",
)
@click.option("--check-abort", is_flag=True, help="Stop the run as soon as a --check fails.")
@click.option(
    "--max-body-size",
    default="32MB",
    show_default=True,
    metavar="SIZE",
    help="Response bodies larger than this are counted and discarded, not kept (stream=True reads any).",
)
@click.option(
    "--config", "config_file", default=None, metavar="FILE", help="Read settings from this TOML file."
)
@capacity_options
@otel_options
@heartbeat_options
@click.version_option(__version__, "-V", "--version", prog_name="fastswarm")
def command(**params: Any) -> Config:
    """Run a load test described by a Locust-style tasks file."""
    return build_config(click.get_current_context(), params)


def build_config(ctx: click.Context, params: dict[str, Any]) -> Config:
    """Convert click's values into a Config, naming each bad setting and where it came from."""
    from fastswarm.config.settings import parse_size

    def sourced(name: str, convert: Any, value: Any) -> Any:
        try:
            return convert(value, f"--{name.replace('_', '-')}")
        except ConfigError as exc:
            raise ConfigError(_with_source(ctx, name, str(exc))) from None

    run_time = params["run_time"]
    try:
        return Config(
            locustfile=params["locustfile"] or "",
            host=params["host"].rstrip("/") if params["host"] else None,
            users=params["users"],
            spawn_rate=params["spawn_rate"],
            run_time=sourced("run_time", parse_duration, run_time) if run_time is not None else None,
            headless=params["headless"],
            processes=sourced("processes", lambda v, _: parse_processes(v), params["processes"]),
            stop_timeout=sourced("stop_timeout", parse_duration, params["stop_timeout"]),
            report_interval=sourced("report_interval", parse_duration, params["report_interval"]),
            json_path=params["json_path"],
            csv_prefix=params["csv_prefix"],
            exit_code_on_error=params["exit_code_on_error"],
            loglevel=params["loglevel"].upper(),
            user_class_names=tuple(params["user_classes"]),
            tags=split_words(params["tags"]),
            exclude_tags=split_words(params["exclude_tags"]),
            list_users=params["list_users"],
            **distributed_settings(params),
            **heartbeat_settings(params, sourced),
            **web_settings(params),
            html_path=params["html_path"],
            hdr_log_path=params["hdr_log_path"],
            max_names=params["max_names"],
            rate=sourced("rate", parse_rate, params["rate"]) if params["rate"] is not None else None,
            arrival=params["arrival"],
            ramp=sourced("ramp", parse_duration, params["ramp"]) if params["ramp"] is not None else None,
            max_users=params["max_users"],
            checks=tuple(params["checks"]),
            check_abort=params["check_abort"],
            **capacity_settings(params, sourced),
            **otel_settings(params),
            max_body_size=sourced("max_body_size", parse_size, params["max_body_size"]),
            force=params["force"],
        )
    except ConfigError as exc:
        message = str(exc)
        name = message.split(":", 1)[0].lstrip("-").replace("-", "_")
        if name in params and " (from " not in message:
            message = _with_source(ctx, name, message)
        raise ConfigError(message) from None





def _with_source(ctx: click.Context, name: str, message: str) -> str:
    """Add where a bad value came from: 'from FASTSWARM_USERS' or 'from fastswarm.toml'."""
    source = ctx.get_parameter_source(name)
    option = f"--{name.replace('_', '-')}"
    if source is click.core.ParameterSource.ENVIRONMENT:
        where = f"{ENV_PREFIX}_{name.upper()}"
    elif source is click.core.ParameterSource.DEFAULT_MAP:
        where = ctx.meta.get("fastswarm.config_path", "the config file")
    else:
        return message
    return message.replace(option, f"{option} (from {where})", 1)


def _default_map(argv: list[str]) -> tuple[dict[str, Any], str | None]:
    """Settings from the config file, keyed as click's parameter names, and its file's name."""
    mapped, name, _ = _file_settings(argv)
    return mapped, name


def _file_settings(argv: list[str]) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """``_default_map``'s two, and the settings no built-in option takes (a tasks file's own
    options, judged once it is imported: ``config/options.py``)."""
    explicit = None
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            explicit = argv[index + 1]
        elif arg.startswith("--config="):
            explicit = arg.split("=", 1)[1]
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config: {explicit} not found")
        found = find_config_file(path.parent) if path.name in ("fastswarm.toml", "pyproject.toml") else None
        if found is None:
            from fastswarm.config.settings import _read_toml

            found = (path, _read_toml(path))
    else:
        found = find_config_file()
    if found is None:
        return {}, None, {}
    path, settings = found
    aliases = {
        "json": "json_path",
        "csv": "csv_prefix",
        "list": "list_users",
        "locust_file": "locustfile",
        "check": "checks",
        "web_allow_hosts": "web_allow_host",
    }
    known = {p.name for p in command.params}
    mapped, custom = {}, {}
    for key, value in settings.items():
        name = key.replace("-", "_")
        name = aliases.get(name, name)
        if name in known:
            mapped[name] = value
        else:
            custom[key] = value
    for param in command.params:  # `check = "p99<250ms"` means a list of one
        if getattr(param, "multiple", False) and isinstance(mapped.get(param.name or ""), str):
            mapped[param.name or ""] = [mapped[param.name or ""]]
    return mapped, str(path.name), custom


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``fastswarm`` console script; Ctrl-C at any moment is one line, exit 130."""
    try:
        _main(argv)
    except KeyboardInterrupt:
        interrupts.exit_interrupted()


def _main(argv: list[str] | None) -> None:
    interrupts.install()
    patch_gevent()
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "target":
        from fastswarm.target.command import target_command

        target_command.main(args=args[1:], prog_name="fastswarm target")
        return
    if args and args[0] == "compare":
        from fastswarm.cli.compare import compare_command

        compare_command.main(args=args[1:], prog_name="fastswarm compare")
        return
    if args and args[0] == "keygen":
        from fastswarm.cli.keygen import keygen_command

        keygen_command.main(args=args[1:], prog_name="fastswarm keygen")
        return
    sys.exit(run_cli(args))


def run_cli(args: list[str]) -> int:
    """Parse, load, run; every error becomes one line on stderr and an exit code."""
    try:
        default_map, config_path, file_options = _file_settings(args)
        ctx = command.make_context("fastswarm", args, default_map=default_map)
        ctx.meta["fastswarm.config_path"] = config_path
        with ctx:
            config = build_config(ctx, ctx.params)
        if file_options:
            config = dataclasses.replace(config, file_options=file_options, config_file=config_path)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:
        print(f"fastswarm: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except FastswarmError as exc:
        print(f"fastswarm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return execute(config)


def execute(config: Config) -> int:
    """Patch gevent, import the tasks file, and run."""
    setup_logging(config.loglevel)
    patch_gevent()  # already done by main(); here for callers that skip it
    from fastswarm.cli.listing import describe_users
    from fastswarm.compat.spellings import show_deprecations
    from fastswarm.config.options import apply_custom_options
    from fastswarm.master import loader
    from fastswarm.master import run as run_module
    from fastswarm.user.event import events

    show_deprecations()
    try:
        tasks = loader.load(config.locustfile or None)
        config = apply_custom_options(config, events)
        if config.user_class_names:
            tasks = loader.select_users(tasks, config.user_class_names)
        if config.tags or config.exclude_tags:
            tasks = loader.select_tags(tasks, config.tags, config.exclude_tags)
        if config.list_users:
            print(describe_users(tasks.user_classes))
            return 0
        interrupts.check()
        return run_module.run(config, tasks)
    except FastswarmError as exc:
        print(f"fastswarm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        interrupts.exit_interrupted()
