"""Locust's runner API pieces, in-process: states, the stats views, WorkerNodes, the Environment's
runner factories and the LocalRunner's checks. The runs themselves are tests/test_compat.py's."""

from __future__ import annotations

import time

import gevent
import pytest

from fastswarm.engine.local_runner import LocalRunner
from fastswarm.engine.state import RunState
from fastswarm.exception import ConfigError
from fastswarm.ipc.master_api import WorkerNode, WorkerNodes
from fastswarm.ipc.state import WorkerInfo
from fastswarm.runners import (
    STATE_CLEANUP,
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
)
from fastswarm.stats.aggregator import Aggregator
from fastswarm.stats.locust_api import RequestStats, StatsEntry
from fastswarm.stats.recorder import Recorder
from fastswarm.user.env import Environment
from fastswarm.user.event import Events
from fastswarm.user.task import task
from fastswarm.user.users import User
from fastswarm.user.wait_time import constant


def test_states_equal_locusts_strings() -> None:
    states = (
        *(STATE_INIT, STATE_SPAWNING, STATE_RUNNING, STATE_CLEANUP),
        *(STATE_STOPPING, STATE_STOPPED, STATE_MISSING),
    )
    assert states == ("ready", "spawning", "running", "cleanup", "stopping", "stopped", "missing")
    assert RunState("running") is STATE_RUNNING and f"{STATE_STOPPED}" == "stopped"


def _recorded() -> Recorder:
    rec = Recorder()
    rec.reset(now=time.time() - 2)
    for ms in (10, 20, 30, 40):
        rec.record("GET", "/a", ms * 1000, 100)
    rec.record("POST", "/b", 100_000, 0, "HTTPError 500")
    return rec


def test_the_view_reads_the_merged_numbers_by_locusts_names() -> None:
    agg = Aggregator()
    agg.start(time.time() - 2)
    agg.add("w0", _recorded().take_interval())
    stats = RequestStats(agg)
    total = stats.total
    assert (total.name, total.num_requests, total.num_failures) == ("Aggregated", 5, 1)
    assert total.fail_ratio == pytest.approx(0.2) and total.avg_content_length == pytest.approx(80)
    assert total.current_fail_per_sec == pytest.approx(total.current_rps * 0.2)  # the window's rate
    assert total.avg_response_time == pytest.approx(40, abs=0.1)  # (10+20+30+40+100)/5 ms
    assert total.max_response_time == pytest.approx(100, rel=0.01) and total.min_response_time == 10
    assert total.get_response_time_percentile(1.0) == pytest.approx(100, rel=0.01)
    assert set(stats.entries) == {("/a", "GET"), ("/b", "POST")}
    a = stats.get("/a", "GET")
    assert a is not None and a.median_response_time == pytest.approx(20, rel=0.01)
    assert a.get_response_time_percentile(0.75) == pytest.approx(30, rel=0.01)
    unseen = stats.get("/c", "GET")  # Locust's get: an empty entry, not one of the entries
    assert unseen.num_requests == 0 and ("/c", "GET") not in stats.entries
    assert stats.num_requests == 5 and stats.num_failures == 1
    (error,) = stats.errors.values()
    assert (error.method, error.name, error.error, error.occurrences) == ("POST", "/b", "HTTPError 500", 1)
    with pytest.raises(ValueError, match="a fraction from 0 to 1"):
        total.get_response_time_percentile(95)  # Locust's percent is a fraction


def test_a_workers_view_is_what_it_recorded_since_its_last_report() -> None:
    rec = _recorded()
    stats = RequestStats(rec)
    assert stats.total.num_requests == 5 and stats.entries[("/a", "GET")].num_requests == 4
    assert stats.total.avg_response_time == pytest.approx(40, abs=0.1) and len(stats.errors) == 1
    assert stats.total.total_rps > 0
    rec.take_interval()  # shipped to the master
    assert stats.total.num_requests == 0 and stats.entries == {} and stats.errors == {}


def test_worker_nodes_read_their_worker_live() -> None:
    info = WorkerInfo(b"id-1", 0, 42, "box", worker_id="box-42", last_seen=time.monotonic())
    lost = WorkerInfo(b"id-2", 1, 43, "box", worker_id="box-43", alive=False, state=RunState.MISSING)
    nodes = WorkerNodes((w.client_id, WorkerNode(w, 1.0, 3.0)) for w in (info, lost))
    node = nodes["box-42"]
    assert (node.id, node.index, node.state, node.user_count, node.heartbeat) == ("box-42", 0, "ready", 0, 3)
    info.users, info.state, info.share = 7, RunState.RUNNING, {"A": 7}
    assert (node.user_count, node.state, node.user_classes_count) == (7, STATE_RUNNING, {"A": 7})
    assert [n.id for n in nodes.running] == ["box-42"] and [n.id for n in nodes.missing] == ["box-43"]
    assert nodes["box-43"].heartbeat == 0 and len(nodes.all) == 2 and nodes.ready == []


class Quiet(User):
    wait_time = constant(0.01)

    @task
    def tick(self) -> None:
        self.environment.events.request.fire(
            request_type="T", name="tick", response_time=1.0, response_length=1, exception=None
        )


def test_the_environment_has_stats_before_its_runner_and_the_runners_after() -> None:
    env = Environment(user_classes=[Quiet], events=Events())
    early = env.stats
    assert isinstance(early, RequestStats) and early is env.stats
    assert early.total.num_requests == 0 and early.entries == {} and early.errors == {}
    runner = LocalRunner(env)
    env.runner = runner
    assert env.stats is runner.stats and isinstance(runner.stats, RequestStats)
    runner.start(2, spawn_rate=100, wait=True)
    assert runner.state == STATE_RUNNING and runner.user_count == runner.target_user_count == 2
    gevent.sleep(0.1)
    assert early.total.num_requests > 0  # the view made before the runner reads the runner's numbers
    early.history.append({"time": "t"})  # stats_history(runner) and the early view share one list
    assert runner.stats.history == [{"time": "t"}]
    tick = runner.stats.get("tick", "T")
    assert isinstance(tick, StatsEntry) and tick.num_requests > 0 and tick.current_fail_per_sec == 0.0
    runner.quit()
    assert runner.state == STATE_STOPPED and runner.greenlet.join(timeout=1) is None and runner.greenlet.dead
    counted = early.total.num_requests
    gevent.sleep(0.05)
    assert env.stats.total.num_requests == counted  # nothing ran after quit()
    with pytest.raises(RuntimeError, match="has quit"):
        runner.start(1, 1)


@pytest.mark.parametrize(("users", "rate"), [(-1, 1.0), (1, 0.0)])
def test_a_local_runner_refuses_bad_counts(users: int, rate: float) -> None:
    runner = LocalRunner(Environment(user_classes=[Quiet], events=Events()))
    with pytest.raises(ValueError, match="user_count >= 0 and spawn_rate > 0"):
        runner.start(users, rate)
    assert runner.state == STATE_INIT


def test_distributed_runners_name_the_command_line_and_a_second_runner_is_refused() -> None:
    env = Environment(events=Events())
    with pytest.raises(NotImplementedError, match=r"fastswarm -f FILE --processes N"):
        env.create_master_runner("*", 5557)
    with pytest.raises(NotImplementedError, match=r"fastswarm -f FILE --worker"):
        env.create_worker_runner("127.0.0.1", 5557)
    env.runner = object()
    with pytest.raises(ConfigError, match="has a runner already"):
        env.create_local_runner()


def test_create_web_ui_refuses_what_it_cannot_serve_before_binding() -> None:
    """Each wrong call is one ConfigError line and leaves ``web_ui`` unset; the runs (a busy
    port, a second call, the endpoint itself) are tests/compat/library_web_ui.py's."""
    import fastswarm.env  # noqa: F401  registers create_web_ui, as Locust's import line does

    env = Environment(user_classes=[Quiet], events=Events())
    env.runner = object()  # not a local runner: the master's is served by the command line
    with pytest.raises(ConfigError, match="serves a local runner"):
        env.create_web_ui("127.0.0.1", 0)
    env.runner = LocalRunner(env)
    wrong: list[tuple[dict[str, object], str]] = [
        ({"port": 70000}, "port must be a whole number from 0 to 65535, not 70000"),
        ({"port": "8089"}, "port must be a whole number"),
        ({"port": True}, "port must be a whole number"),
        ({"host": 127}, "host must be text, not int"),
        ({"token": " "}, "token must be non-empty text"),
        ({"web_login": True}, "web_login=True asks for the token"),
        ({"auth_credentials": "u:p"}, "auth_credentials: .* pass token="),
        ({"tls_cert": "c.pem"}, "tls_cert: .*TLS proxy"),
        ({"delayed_start": True}, "delayed_start: "),
        ({"web_base_path": "/locust"}, "web_base_path: "),
        ({"colour": "red"}, r"unknown option 'colour' \(known: host, port, token, web_login\)"),
    ]
    for options, message in wrong:
        call = {"host": "127.0.0.1", "port": 0, **options}
        with pytest.raises(ConfigError, match=f"^create_web_ui: {message}"):
            env.create_web_ui(**call)
        assert env.web_ui is None


def test_the_host_goes_into_the_user_classes_at_start_and_no_host_keeps_theirs() -> None:
    class Plain(User):
        @task
        def idle(self) -> None:
            pass

    class Own(Plain):
        host = "http://own.invalid"

    Environment(user_classes=[Plain, Own], events=Events()).use_host("")  # no host anywhere
    assert (Plain.host, Own.host) == (None, "http://own.invalid")
    env = Environment(user_classes=[Plain, Own], host="http://127.0.0.1:9", events=Events())
    runner = LocalRunner(env)
    env.runner = runner
    assert Plain.host is None  # not before the test starts, as Locust
    runner.start(0, spawn_rate=10, wait=True)
    assert Plain.host == Own.host == "http://127.0.0.1:9"
    runner.quit()
    env.use_host("http://127.0.0.1:10")  # the web UI's new host
    assert env.host == Plain.host == Own.host == "http://127.0.0.1:10"
