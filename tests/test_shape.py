"""LoadTestShape: the API, the master's driver (short stages, stop, rates), and whole runs."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gevent.event import Event

from fastswarm import LoadTestShape
from fastswarm.config.open_spec import Arrival, OpenSpec
from fastswarm.engine.distribution import users_per_class_among
from fastswarm.exceptions import TasksFileError
from fastswarm.master.loader import load
from fastswarm.master.shape_driver import ShapeDriver, Stage, parse_tick
from tests.conftest import Target, run_fastswarm


class A:
    weight = 1


class B:
    weight = 3


class C:
    weight = 1


class FakeRunner:
    """Records the commands a driver gives."""

    def __init__(self) -> None:
        self.environment = SimpleNamespace(user_classes=[A, B, C])
        self.calls: list[tuple[Any, ...]] = []
        self.user_count = 0
        self.specs: list[OpenSpec] = []

    def start_open(self, spec: OpenSpec, host: str | None = None) -> None:
        self.specs.append(spec)
        self.calls.append(("start_open", spec.rate, host))

    def set_rate(self, rate: float) -> None:
        self.calls.append(("set_rate", rate))

    def start(self, users: int, spawn_rate: float, host: str | None = None, user_classes: Any = None) -> None:
        names = [c.__name__ for c in user_classes] if user_classes is not None else None
        self.calls.append(("start", users, spawn_rate, host, names))


class Steps(LoadTestShape):
    """Each value lasts ``step`` seconds, then None."""

    step = 0.3

    def __init__(self, values: list[Any]) -> None:
        super().__init__()
        self.values = values
        self.ticks = 0

    def tick(self) -> Any:
        self.ticks += 1
        index = int(self.get_run_time() / self.step)
        return self.values[index] if index < len(self.values) else None


def _drive(shape: LoadTestShape, runner: FakeRunner, timeout: float = 10.0, **options: Any) -> ShapeDriver:
    done = Event()
    driver = ShapeDriver(shape, runner, "http://127.0.0.1:1", done.set, **options)
    driver.start()
    assert done.wait(timeout), "the shape never said stop"
    return driver


def test_abstract_like_locust() -> None:
    class Base(LoadTestShape):
        abstract = True

        def tick(self) -> None:
            return None

    class Concrete(Base):
        pass

    assert LoadTestShape.abstract is True
    assert Base.abstract is True
    assert Concrete.abstract is False
    with pytest.raises(TypeError):
        LoadTestShape()  # type: ignore[abstract]


def test_loader_finds_the_shape_and_skips_abstract_ones(tmp_path: Path) -> None:
    path = tmp_path / "shaped.py"
    path.write_text(
        "from fastswarm import User, LoadTestShape, task\n"
        "class U(User):\n"
        "    @task\n"
        "    def t(self): pass\n"
        "class Base(LoadTestShape):\n"
        "    abstract = True\n"
        "class Mine(Base):\n"
        "    def tick(self): return None\n"
    )
    assert load(str(path)).shape_class.__name__ == "Mine"


def test_short_stages_are_each_applied_in_order_then_none_stops() -> None:
    runner = FakeRunner()
    values = [(1, 10.0), (4, 20.0, [B]), (2, 5.0, [A, C]), (0, 1.0)]
    shape = Steps(values)
    driver = _drive(shape, runner)
    assert runner.calls == [
        ("start", 1, 10.0, "http://127.0.0.1:1", None),
        ("start", 4, 20.0, "http://127.0.0.1:1", ["B"]),
        ("start", 2, 5.0, "http://127.0.0.1:1", ["A", "C"]),
        ("start", 0, 1.0, "http://127.0.0.1:1", None),
    ]
    assert shape.ticks >= len(values) * 2  # each 0.3 s stage was seen more than once
    assert driver.error is None
    assert [s.user_classes for s in driver.stages] == [None, ("B",), ("A", "C"), None]
    assert driver.report()["class"] == "Steps"
    assert driver.stages[1].to_json()["user_classes"] == ["B"]


def test_rates_use_the_open_model_commands() -> None:
    runner = FakeRunner()
    driver = _drive(Steps([{"rate": 100}, {"rate": 250.5}]), runner)
    assert runner.calls == [("start_open", 100.0, "http://127.0.0.1:1"), ("set_rate", 250.5)]
    assert [s.to_json()["rate"] for s in driver.stages] == [100.0, 250.5]
    assert runner.specs == [OpenSpec(100.0)]  # flat, until the shape says otherwise


def test_a_rate_stage_starts_the_runs_arrivals_and_user_cap() -> None:
    runner = FakeRunner()

    def plan(rate: float) -> OpenSpec:
        return OpenSpec(rate, arrival=Arrival.POISSON, max_users=7)

    _drive(Steps([{"rate": 40}]), runner, open_spec=plan)
    assert runner.specs == [OpenSpec(40.0, arrival=Arrival.POISSON, max_users=7)]


def test_switching_models_is_refused() -> None:
    driver = _drive(Steps([(1, 1.0), {"rate": 5}]), FakeRunner())
    assert isinstance(driver.error, TasksFileError)
    assert "switched from users to a rate" in str(driver.error)


def test_tick_raising_becomes_one_line() -> None:
    class Broken(LoadTestShape):
        def tick(self) -> Any:
            raise KeyError("stage")

    driver = _drive(Broken(), FakeRunner())
    assert str(driver.error) == "Broken.tick(): KeyError: 'stage'"
    assert driver.error is not None and driver.error.exit_code == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast", "expected (users, spawn_rate)"),
        ((1,), "expected (users, spawn_rate)"),
        ((-1, 1), "whole number >= 0"),
        ((1.5, 1), "whole number >= 0"),
        ((1, 0), "spawn_rate=0; it must be greater than 0"),
        (("1", 1), "users='1'; expected a number"),
        ((1, 1, [dict]), "asked for user classes ['dict']; this test runs only: A, B, C"),
        ({"rate": 0}, "must be greater than 0"),
        ({"rate": 5, "users": 3}, "exactly {'rate': R}"),
    ],
)
def test_bad_tick_values(value: Any, message: str) -> None:
    with pytest.raises(TasksFileError) as info:
        parse_tick(value, [A, B, C], "S")
    assert message in str(info.value)
    assert str(info.value).startswith("S.tick() ")


def test_parse_tick_accepts_locust_shapes() -> None:
    assert parse_tick((3, 1.5), [A], "S") == Stage(0.0, 3, 1.5)
    assert parse_tick([3.0, 2], [A, B], "S") == Stage(0.0, 3, 2.0)
    assert parse_tick((3, 1, None), [A], "S") == Stage(0.0, 3, 1.0)
    assert parse_tick({"rate": 7}, [A], "S") == Stage(0.0, rate=7.0)


def test_users_per_class_among() -> None:
    assert users_per_class_among([A, B, C], [B, C], 8) == {"A": 0, "B": 6, "C": 2}
    with pytest.raises(ValueError, match="dict"):
        users_per_class_among([A], [dict], 1)


# -- whole runs: the master drives real workers against the built-in target --

SHAPED = """
from fastswarm import HttpUser, LoadTestShape, task, constant

class Base(HttpUser):
    abstract = True
    wait_time = constant(0.01)
    path = "/"

    @task
    def hit(self):
        self.client.get(self.path)

class First(Base):
    path = "/bytes/1"

class Second(Base):
    path = "/bytes/2"

class Third(Base):
    path = "/bytes/3"

class Never(Base):
    path = "/bytes/4"

class ShortStages(LoadTestShape):
    stages = [(2, 100, [First]), (2, 100, [Second]), (2, 100, [Third])]

    def tick(self):
        index = int(self.get_run_time() / 0.3)
        return self.stages[index] if index < len(self.stages) else None
"""


@pytest.mark.parametrize("processes", [1, 2])
def test_shape_runs_each_short_stage_with_its_classes(tmp_path: Path, target: Target, processes: int) -> None:
    (tmp_path / "tasks.py").write_text(SHAPED)
    target.reset()
    result = run_fastswarm(
        "-H", target.url, "--headless", "--no-web", "--processes", str(processes),
        "-u", "50", "--stop-timeout", "5", "--json", "r.json",
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ShortStages drives this run; -u ignored" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    stages = report["shape"]["stages"]
    assert report["shape"]["class"] == "ShortStages"
    assert [s["user_classes"] for s in stages] == [["First"], ["Second"], ["Third"]]
    assert [s["users"] for s in stages] == [2, 2, 2]
    counts = {e["name"]: e["requests"] for e in report["endpoints"]}
    # Every 0.3 s stage ran its own class, and only the classes the shape named ran.
    assert set(counts) == {"/bytes/1", "/bytes/2", "/bytes/3"}
    assert all(n > 0 for n in counts.values())
    assert report["totals"]["requests"] == target.served()
    assert report["run"]["duration_s"] < 20  # tick() returning None ended the run (no -t given)


def test_a_malformed_tick_ends_the_run_with_exit_2(tmp_path: Path, target: Target) -> None:
    (tmp_path / "tasks.py").write_text(
        "from fastswarm import HttpUser, LoadTestShape, task, constant\n"
        "class U(HttpUser):\n"
        "    wait_time = constant(0.05)\n"
        "    @task\n"
        "    def t(self): self.client.get('/')\n"
        "class Odd(LoadTestShape):\n"
        "    def tick(self):\n"
        "        return (1, 10) if self.get_run_time() < 0.5 else 'lots'\n"
    )
    result = run_fastswarm(
        "-H", target.url, "--headless", "--no-web", "-t", "30s", "--json", "r.json", cwd=tmp_path, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "fastswarm: warning: Odd drives this run; -t ignored" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "fastswarm: error: Odd.tick() returned 'lots'; expected (users, spawn_rate), "
        "(users, spawn_rate, user_classes), {'rate': R} or None"
    )
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["shape"]["stages"][0]["users"] == 1
    assert report["totals"]["requests"] > 0


def test_the_flags_a_shape_overrides_are_the_ones_given() -> None:
    from fastswarm.config.settings import Config
    from fastswarm.master.shape_driver import flags_a_shape_ignores

    assert flags_a_shape_ignores(Config()) == []
    assert flags_a_shape_ignores(Config(users=5, run_time=10.0)) == ["-u", "-t"]
    assert flags_a_shape_ignores(Config(spawn_rate=3.0)) == ["-r"]
