"""``OpenSpec`` and ``Arrival``: checked once when built, and how Config builds them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from fastswarm.cli.main import _default_map, build_config, command
from fastswarm.config.open_spec import Arrival, OpenSpec
from fastswarm.config.settings import Config, parse_rate
from fastswarm.exceptions import ConfigError
from fastswarm.ipc.messages import StartOpen


def test_defaults_and_the_end_rate() -> None:
    spec = OpenSpec(50.0)
    assert (spec.rate_end, spec.ramp_s, spec.arrival, spec.max_users, spec.duration_s) == (
        None, 0.0, Arrival.UNIFORM, 1000, None,
    )  # fmt: skip
    assert spec.end == 50.0
    assert OpenSpec(50.0, rate_end=200.0, ramp_s=10.0).end == 200.0


def test_an_arrival_given_as_text_becomes_the_enum() -> None:
    spec = OpenSpec(1.0, arrival="poisson")  # type: ignore[arg-type]
    assert spec.arrival is Arrival.POISSON and spec.arrival == "poisson"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"rate": -1.0}, "rate"),
        ({"rate": math.nan}, "rate"),
        ({"rate": math.inf}, "rate"),
        ({"rate": True}, "rate"),
        ({"rate": "10"}, "rate"),
        ({"rate": 1.0, "rate_end": -5.0}, "rate_end"),
        ({"rate": 1.0, "ramp_s": -1.0}, "ramp_s"),
        ({"rate": 1.0, "ramp_s": math.inf}, "ramp_s"),
        ({"rate": 1.0, "arrival": "burst"}, "arrival"),
        ({"rate": 1.0, "max_users": 0}, "max_users"),
        ({"rate": 1.0, "max_users": 2.5}, "max_users"),
        ({"rate": 1.0, "max_users": True}, "max_users"),
        ({"rate": 1.0, "duration_s": 0.0}, "duration_s"),
        ({"rate": 1.0, "duration_s": math.nan}, "duration_s"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_its_field(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}: must be"):
        OpenSpec(**fields)


def test_at_rate_flattens_and_keeps_the_rest() -> None:
    spec = OpenSpec(10.0, 30.0, 5.0, Arrival.POISSON, 40, 60.0)
    assert spec.at_rate(20.0) == OpenSpec(20.0, None, 0.0, Arrival.POISSON, 40, 60.0)
    with pytest.raises(ValueError, match="^rate:"):
        spec.at_rate(-1.0)


def test_config_builds_the_plan_from_the_command_line() -> None:
    config = Config(rate=(100.0, 300.0), ramp=30.0, arrival="poisson", max_users=50, run_time=120.0)  # type: ignore[arg-type]
    assert config.arrival is Arrival.POISSON
    assert config.open_spec() == OpenSpec(100.0, 300.0, 30.0, Arrival.POISSON, 50, 120.0)
    assert config.flat_open_spec(7.0) == OpenSpec(7.0, arrival=Arrival.POISSON, max_users=50)
    with pytest.raises(ConfigError, match="--rate: not given"):
        Config().open_spec()


def test_a_bad_arrival_in_a_config_names_the_option() -> None:
    with pytest.raises(ConfigError, match="^--arrival: must be uniform or poisson$"):
        Config(arrival="burst")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["nan", "inf", "10:nan", "-inf:5"])
def test_a_rate_that_is_not_finite_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--rate: .* must be R or R1:R2 with each rate > 0"):
        parse_rate(text)


def test_the_command_line_rejects_an_unknown_arrival_and_takes_a_known_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click

    monkeypatch.chdir(tmp_path)

    def config(args: list[str]) -> Config:
        default_map, path = _default_map(args)
        ctx = command.make_context("fastswarm", args, default_map=default_map)
        ctx.meta["fastswarm.config_path"] = path
        return build_config(ctx, ctx.params)

    assert config(["--rate", "5", "--arrival", "poisson"]).arrival is Arrival.POISSON
    with pytest.raises(click.BadParameter) as caught:
        config(["--rate", "5", "--arrival", "burst"])
    assert caught.value.exit_code == 2


def test_a_start_open_message_converts_to_its_share_at_the_edge() -> None:
    message = StartOpen(10.0, 20.0, 5.0, "poisson", 50, 0.5, 30.0, None)
    assert message.spec() == OpenSpec(10.0, 20.0, 5.0, Arrival.POISSON, 50, 30.0)
    endless = StartOpen(10.0, 10.0, 0.0, "uniform", 1, 0.0, 0.0, None)
    assert endless.spec().duration_s is None  # 0 on the wire: no end
    with pytest.raises(ValueError, match="^rate:"):
        StartOpen(-1.0, 1.0, 0.0, "uniform", 1, 0.0, 0.0, None).spec()
