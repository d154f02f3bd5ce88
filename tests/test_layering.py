"""The layout's rules (docs/architecture.md, STYLE.md), checked on the source.

Each folder of ``fastswarm/`` is a layer and imports only from layers below it, so the
import graph has no circles. Every import counts: at module level, inside functions and
under ``if TYPE_CHECKING:`` (a type-only import is still an arrow a reader has to follow).
A future upward arrow or circle fails here, naming the two modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fastswarm"
STATS = PACKAGE / "stats"

# Bottom to top: a module may import its own layer and those before it in this list.
LAYERS = ["compat", "exception", "config", "stats", "user", "http", "engine", "ipc", "web", "master", "cli"]
# The built-in target is a program of its own: it imports nothing of fastswarm but itself.
STANDALONE = {"target"}
# Entry points: may import anything.
TOP = {"fastswarm", "fastswarm.__main__"}
# Locust's module paths, kept so ported files import: they only re-export, and nothing
# inside fastswarm imports them (the code uses the real modules).
REEXPORTS = {
    "fastswarm.env",
    "fastswarm.event",
    "fastswarm.events",
    "fastswarm.log",
    "fastswarm.shape",
    "fastswarm.debug",
    "fastswarm.runners",
    "fastswarm.exceptions",
    "fastswarm.contrib",
    "fastswarm.contrib.fasthttp",
    "fastswarm.clients",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported_modules(path: Path) -> Iterator[str]:
    """Every fastswarm module ``path`` imports, wherever the import statement stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            candidates = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        # ``from fastswarm.master import loader`` imports the submodule, not only the package
        found = [c for c in candidates if c in MODULES and c != "fastswarm"]
        yield from found[-1:] if len(found) > 1 and found[0] != candidates[0] else found


GRAPH = {name: set(_imported_modules(path)) - {name} for name, path in MODULES.items()}


def _layer(module: str) -> str:
    if module in TOP or module in REEXPORTS:
        return module
    return module.split(".")[1]


def test_the_layer_table_covers_every_folder() -> None:
    layers = {_layer(m) for m in MODULES} - TOP - REEXPORTS
    assert layers == set(LAYERS) | STANDALONE, "a new folder needs its place in LAYERS"


def test_arrows_point_down() -> None:
    upward = []
    for module, imported in GRAPH.items():
        here = _layer(module)
        for other in imported:
            there = _layer(other)
            if here in TOP or there == here:
                continue
            if there in REEXPORTS:
                if here not in REEXPORTS:
                    upward.append(f"{module} -> {other} (a Locust path: import the real module)")
                continue
            if here in REEXPORTS:
                continue
            if here in STANDALONE or there in STANDALONE:
                if not (here == "cli" and there in STANDALONE):  # the command line serves the target
                    upward.append(f"{module} -> {other}")
                continue
            if there in TOP or LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{module} -> {other} ({here} is below {there})")
    assert upward == []


def test_no_circles() -> None:
    """Tarjan's strongly connected components over the module graph: each must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == []


def test_locust_paths_only_reexport() -> None:
    for module in REEXPORTS:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:
            docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            reexport = isinstance(node, ast.ImportFrom) or ast.unparse(node) == "import sys"
            # fastswarm.events: the Events instance stands in for the module
            reexport |= ast.unparse(node).startswith("sys.modules[__name__] = ")
            dunder_all = isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__"
            assert docstring or reexport or dunder_all, f"{module}: {ast.unparse(node)[:60]}"


def test_compat_names_its_targets_as_strings() -> None:
    """compat/ is the bottom layer: it maps old names to new ones without importing them."""
    for module, imported in GRAPH.items():
        if module.startswith("fastswarm.compat"):
            assert imported <= {m for m in MODULES if m.startswith("fastswarm.compat")}, module


def test_the_tasks_file_api_has_locusts_paths() -> None:
    """``locust.user.task``, ``locust.user.wait_time``... port by changing ``locust`` alone."""
    import fastswarm
    from fastswarm.user.sequential_taskset import SequentialTaskSet
    from fastswarm.user.task import TaskSet, task
    from fastswarm.user.users import User
    from fastswarm.user.wait_time import between

    assert task is fastswarm.task and TaskSet is fastswarm.TaskSet and User is fastswarm.User
    assert between is fastswarm.between and SequentialTaskSet is fastswarm.SequentialTaskSet


def _top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_stats_never_imports_zmq_or_gevent_and_only_histogram_imports_hdrh() -> None:
    files = sorted(STATS.glob("*.py"))
    assert files
    for path in files:
        imported = _top_level_names(path)
        assert not imported & {"zmq", "gevent"}, path.name
        if path.name != "histogram.py":
            assert "hdrh" not in imported, path.name


def test_files_stay_small_and_future_annotated() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path
        if path.name != "__main__.py" and ("\nimport " in text or "\nfrom " in text):
            assert "from __future__ import annotations" in text, path


def test_a_worker_never_loads_the_masters_aggregator() -> None:
    """Following every import from the worker's module never reaches the master's merge code."""
    reached, todo = set(), ["fastswarm.ipc.worker"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(GRAPH[module])
    assert "fastswarm.stats.aggregator" not in reached
    assert not {m for m in reached if m.startswith(("fastswarm.master", "fastswarm.web"))}
